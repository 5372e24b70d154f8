/**
 * The template's own version. The provisioner also passes it to each tenant Worker as the
 * TEMPLATE_VERSION binding, so a deployed tenant reports the template it was built from.
 * Bump it with every change to tenant-template/ that a fleet rollout should see.
 */
export const TEMPLATE_VERSION = "0.1.0";
