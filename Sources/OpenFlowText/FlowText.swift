import OpenFlow
