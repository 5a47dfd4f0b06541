// The lab (Open vSwitch nodes, VMs, commands) lives in LabKit, which taas-lab shares; tests see it
// through this module as before.
@_exported import LabKit
