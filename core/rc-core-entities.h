/* rc-core-entities.h: the entities every node has, registered through the
 * same registry as plugin entities (config.md 8, 9.1). */
#pragma once

#include "rc-registry.h"

extern const RcEntityDesc rc_node_entity;
extern const RcEntityDesc rc_local_only_entity;
extern const RcEntityDesc rc_version_entity;
extern const RcEntityDesc rc_log_level_entity;
extern const RcEntityDesc rc_trace_entity;
extern const RcEntityDesc rc_work_python_entity;

/* Register every core entity in --help order. */
void rc_core_entities_register(RcRegistry *registry);
