/**
 * The template's human version. A deployed tenant reports its TEMPLATE_VERSION binding instead
 * (set by the provisioner to the build it uploaded); this is the fallback when none is bound.
 * Bump it with every change to tenant-template/ that a fleet rollout should see.
 */
export const TEMPLATE_VERSION = "0.1.0";
