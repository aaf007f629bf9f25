// The LTI 1.3 tool: what the server and the admin CLI use.
export { ltiModule, refreshLtiRosters, LtiTool, TEACHER_CREDENTIAL_TTL_MS, toolUrls } from './module.ts';
export { registerPlatformManually, addDeployment, createRegistrationLink, listPlatforms, getPlatform, type Platform, type PlatformInput } from './platforms.ts';
export { rotateToolKeys, toolJwks, DEFAULT_ROTATION_GRACE_MS } from './keys.ts';
export { syncCourse, syncContext, NRPS_SCOPE } from './nrps.ts';
export { grantLtiStaff, revokeLtiStaff } from './staff.ts';
export { PAIR_MESSAGE, PAIRED_MESSAGE, HELLO_MESSAGE, type PairMessage, type PairedMessage } from './pairing.ts';
