// The route modules beyond the core API. Each source or UI registers itself
// here with the shared services.
import type { App, Services } from './app.ts';

export const MODULES: ((app: App, services: Services) => Promise<void>)[] = [];

import { dashboardModule } from '../dashboard/routes.ts';
MODULES.push(dashboardModule);
import { ltiModule } from '../sources/lti/module.ts';
MODULES.push(ltiModule);
import { xapiModule } from '../sources/xapi.ts';
import { caliperModule } from '../sources/caliper.ts';
MODULES.push(xapiModule, caliperModule);
import { beaconModule } from '../sources/beacon.ts';
MODULES.push(beaconModule);
