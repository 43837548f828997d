/* rc-plugin-loader.h: dlopen a plugin by name, with file, ABI and manifest
 * checks (STYLE.md 2.4 step 5).  Loaded plugins stay resident. */
#pragma once

#include <glib.h>

#include "receptor/receptor-plugin.h"
#include "rc-core.h"

/* Load the plugin `name` found by the registry scan (once per core).
 * (transfer none) */
const RcPluginDesc *rc_plugin_load(RcCore *core, const char *name, GError **error);

/* Open a plugin file directly (manifest generation).  The plugin name is
 * derived from the file name ("backend-tcp.so" -> "backend-tcp"). (transfer none) */
const RcPluginDesc *rc_plugin_open_file(const char *path, GError **error);

/* The descriptor of entity `entity` in a loaded plugin (transfer none) (nullable). */
const RcEntityDesc *rc_plugin_find_entity(const RcPluginDesc *desc, const char *entity);
