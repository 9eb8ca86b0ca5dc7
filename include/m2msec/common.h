/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the attribute macros shared by every public m2msec header: symbol export
 * (the library is built with -fvisibility=hidden, only M2M_API symbols leave it), and the
 * misuse-resistance attributes of the house style (warn_unused_result on every verify/parse/init).
 */
#ifndef M2MSEC_COMMON_H
#define M2MSEC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if defined(__GNUC__) || defined(__clang__)
#define M2M_API __attribute__((visibility("default")))
#define M2M_WUR __attribute__((warn_unused_result))
#define M2M_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#else
#define M2M_API
#define M2M_WUR
#define M2M_NONNULL(...)
#endif

#endif
