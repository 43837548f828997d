/* rc-help.h: --help (config.md 13, Appendix A) and --bash-completion
 * (config.md 14) rendered from the registry's descriptors. Pure. */
#pragma once

#include <glib.h>

#include "rc-registry.h"

/* The --help text; `prog` is argv[0] (its basename is printed). Ends with a
 * "Plugins:" block listing each plugin and its entities (receptor-c
 * addition). (transfer full) */
char *rc_help_render(RcRegistry *registry, const char *prog);

/* The --bash-completion script. (transfer full) */
char *rc_help_completion(RcRegistry *registry, const char *prog);
