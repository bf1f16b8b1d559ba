/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PORTLEAK_VERSION_H
#define PORTLEAK_VERSION_H

#define PORTLEAK_VERSION "0.2.0"

#endif
