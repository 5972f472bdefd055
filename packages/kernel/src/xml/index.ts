export * from './xml-document.js';
