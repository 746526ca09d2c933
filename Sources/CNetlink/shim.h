// libnl-3 route API, imported as a system library (pkg-config libnl-route-3.0).
// A system-library module has no .c files: anything Swift cannot import (macros with
// arguments, inline helpers) goes here as a `static inline` wrapper with the csy_nl_ prefix.
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/object.h>
#include <netlink/errno.h>
#include <netlink/cache.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/rtnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>
