/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's integer names and limits for the pvlens headers that also
 * build as userspace C (host unit tests, fuzzers, the pvlens command): one
 * place for the userspace spellings, which must match across those headers.
 */
#ifndef _PVLENS_TYPES_H
#define _PVLENS_TYPES_H

#ifdef __KERNEL__
#include <linux/limits.h>
#include <linux/stddef.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef long long s64;
#ifndef U32_MAX
#define U32_MAX UINT32_MAX
#endif
#ifndef U64_MAX
#define U64_MAX UINT64_MAX
#endif
#endif

#endif /* _PVLENS_TYPES_H */
