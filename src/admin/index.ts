export { adminRouter } from './api.js';
export { consoleRouter } from './console.js';
