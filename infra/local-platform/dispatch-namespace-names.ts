/** Names the platform and the dispatch namespace shim agree on (shared by Node and workerd code). */
export const SCRIPT_TABLE_VAR = "__WFP_SCRIPTS";
export const SCRIPT_BINDING_PREFIX = "__WFP_SCRIPT_";
