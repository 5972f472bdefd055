/**
 * The front office in the browser: one entry for every page. pages.ts writes the page's name into
 * `<body data-page>`; this module loads the texts, and draws that page.
 */
import '../../assets/app.js';
