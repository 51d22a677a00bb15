/* The release, for calldockerd, calldocker and /api/settings/system/status. */
#ifndef CALLDOCKER_VERSION_H
#define CALLDOCKER_VERSION_H

#define CALLDOCKER_VERSION	"0.1.0"

#endif
