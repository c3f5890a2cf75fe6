export { createApp } from './app.js';
export { createAdminApp } from './admin-app.js';
export { startServer } from './server.js';
export type { RunningServer } from './server.js';
export { parseHubRequest } from './params.js';
export type { HubRequest } from './params.js';
export { parseHubUrl } from './urls.js';
export { createAuthThrottle } from './auth-throttle.js';
export type { AuthThrottle, AuthScope } from './auth-throttle.js';
