/** Defines `<pilot-connect>` (default name). Safe to call more than once. */
export function defineCustomElement(name?: string): void;
