/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the common includes for cmocka unit tests (tests/unit/test_<module>.c). */
#ifndef M2M_TEST_H
#define M2M_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#define M2M_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
