/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What this berth build and the running kernel support, as the runtime-spec
 * features document (features.md) that `berth features` prints.
 */
#ifndef BERTH_OCI_FEATURES_H
#define BERTH_OCI_FEATURES_H

#include <jansson.h>

#include "error.h"

/* The runtime-spec versions berth accepts in config.json and reports in state. */
#define BERTH_OCI_VERSION_MIN "1.0.0"
#define BERTH_OCI_VERSION "1.2.0"

/* The whole features object; probes the kernel (seccomp, namespaces, idmap). */
int berth_features(json_t **out, berth_error_t *err);

#endif
