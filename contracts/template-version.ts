/**
 * The template's human version. A deployed tenant reports its TEMPLATE_VERSION binding instead,
 * which the provisioner sets to this version plus the build's fingerprint (`0.1.0+847c840303ab`);
 * this is the fallback when none is bound.
 * Bump it with every change to tenant-template/ that a fleet rollout should see.
 */
export const TEMPLATE_VERSION = "0.1.0";
