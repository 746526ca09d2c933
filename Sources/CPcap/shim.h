// libpcap, imported as a system library (pkg-config libpcap).
#include <pcap/pcap.h>
