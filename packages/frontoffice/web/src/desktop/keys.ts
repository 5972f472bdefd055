/** The desktop's keys: one table for the handler and for the help the page shows. */

export interface KeyBinding {
  /** As the help shows it, e.g. `Alt+H`. */
  readonly keys: string;
  /** The i18n key of what it does. */
  readonly what: string;
}

export const KEY_BINDINGS: readonly KeyBinding[] = [
  { keys: 'F2', what: 'keys.ready' },
  { keys: 'F3', what: 'keys.pause' },
  { keys: 'F4', what: 'keys.accept' },
  { keys: 'Alt+R', what: 'keys.reject' },
  { keys: 'F8', what: 'keys.hangUp' },
  { keys: 'F9', what: 'keys.finish' },
  { keys: '1–9', what: 'keys.choice' },
  { keys: 'Alt+H', what: 'keys.hold' },
  { keys: 'Alt+M', what: 'keys.mute' },
  { keys: 'Alt+T', what: 'keys.transfer' },
  { keys: 'Alt+C', what: 'keys.conference' },
  { keys: 'Alt+X', what: 'keys.cancelConsult' },
  { keys: 'Alt+K', what: 'keys.keypad' },
  { keys: 'Alt+D', what: 'keys.dial' },
  { keys: 'Ctrl+K', what: 'keys.search' },
  { keys: 'Alt+1–9', what: 'keys.tab' },
  { keys: 'Esc', what: 'keys.escape' },
];

export type DeskCommand = 'ready' | 'pause' | 'accept' | 'reject' | 'hangUp' | 'finish' | 'hold' | 'mute' | 'transfer' | 'conference' | 'cancelConsult' | 'keypad' | 'dial' | 'search' | `choice:${string}` | `tab:${number}`;

/** Whether the focus is in a field that takes what is typed. */
function typing(): boolean {
  const el = document.activeElement;
  return el instanceof HTMLElement && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable);
}

/** The command of a key press, or undefined. Digits without a modifier only outside text boxes. */
export function commandOf(ev: KeyboardEvent): DeskCommand | undefined {
  const plain = !ev.altKey && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey;
  if (plain) {
    switch (ev.key) {
      case 'F2': return 'ready';
      case 'F3': return 'pause';
      case 'F4': return 'accept';
      case 'F8': return 'hangUp';
      case 'F9': return 'finish';
      default: break;
    }
    if (/^[1-9]$/.test(ev.key) && !typing()) return `choice:${ev.key}`;
    return undefined;
  }
  if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === 'k') return 'search';
  if (ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    // On a Mac, Option+C types ç and Option+R ®: in a text field such a key is a character, not a command.
    if (ev.key.length === 1 && !/^[A-Za-z0-9]$/.test(ev.key) && typing()) return undefined;
    // ev.code: the key itself, whatever the keyboard layout makes of Alt+letter.
    switch (ev.code) {
      case 'KeyH': return 'hold';
      case 'KeyM': return 'mute';
      case 'KeyT': return 'transfer';
      case 'KeyC': return 'conference';
      case 'KeyX': return 'cancelConsult';
      case 'KeyR': return 'reject';
      case 'KeyK': return 'keypad';
      case 'KeyD': return 'dial';
      default: break;
    }
    const digit = /^Digit([1-9])$/.exec(ev.code);
    if (digit) return `tab:${Number(digit[1])}`;
  }
  return undefined;
}
