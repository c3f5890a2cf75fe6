// `npm run test:unit`: jest.config.js with its unit project alone (no services, no build).
import config from './jest.config.js';

export default { ...config, projects: config.projects.filter((project) => project.displayName === 'unit') };
