/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of core/wildcard.c: the '*' wildcard match shared by the
 * CSE's filter criteria (TS-0004 clause 7.3.3.17.9) and the DAS policy.
 */
#ifndef M2MSEC_CORE_WILDCARD_H
#define M2MSEC_CORE_WILDCARD_H

#include <stdbool.h>

/* true when s matches p, where '*' in p matches any run of characters (also none). */
bool m2mi_wildcard_match(const char *p, const char *s);

#endif
