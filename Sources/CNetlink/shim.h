// libnl-3 route API, imported as a system library (pkg-config libnl-route-3.0).
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/rtnl.h>
#include <linux/if.h>
