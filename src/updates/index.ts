export { UpdateHub } from './update-hub.js';
export type { Watch } from './update-hub.js';
export { createAnnouncer, listenForUpdates } from './wake.js';
export type { Announcer, UpdateSignal, WakeSource } from './wake.js';
