// The OpenFlow 1.3.5 error tables (§7.4.4). Names match the spec's constants so logs grep well.

/// `ofp_error_type`: an open set, so an unknown type from a peer survives a round trip.
public struct ErrorType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `OFPET_HELLO_FAILED`
    public static let helloFailed = ErrorType(rawValue: 0)
    /// `OFPET_BAD_REQUEST`
    public static let badRequest = ErrorType(rawValue: 1)
    /// `OFPET_BAD_ACTION`
    public static let badAction = ErrorType(rawValue: 2)
    /// `OFPET_BAD_INSTRUCTION`
    public static let badInstruction = ErrorType(rawValue: 3)
    /// `OFPET_BAD_MATCH`
    public static let badMatch = ErrorType(rawValue: 4)
    /// `OFPET_FLOW_MOD_FAILED`
    public static let flowModFailed = ErrorType(rawValue: 5)
    /// `OFPET_GROUP_MOD_FAILED`
    public static let groupModFailed = ErrorType(rawValue: 6)
    /// `OFPET_PORT_MOD_FAILED`
    public static let portModFailed = ErrorType(rawValue: 7)
    /// `OFPET_TABLE_MOD_FAILED`
    public static let tableModFailed = ErrorType(rawValue: 8)
    /// `OFPET_QUEUE_OP_FAILED`
    public static let queueOpFailed = ErrorType(rawValue: 9)
    /// `OFPET_SWITCH_CONFIG_FAILED`
    public static let switchConfigFailed = ErrorType(rawValue: 10)
    /// `OFPET_ROLE_REQUEST_FAILED`
    public static let roleRequestFailed = ErrorType(rawValue: 11)
    /// `OFPET_METER_MOD_FAILED`
    public static let meterModFailed = ErrorType(rawValue: 12)
    /// `OFPET_TABLE_FEATURES_FAILED`
    public static let tableFeaturesFailed = ErrorType(rawValue: 13)
    /// `OFPET_EXPERIMENTER`: the body carries exp_type and experimenter id instead of a code.
    public static let experimenter = ErrorType(rawValue: 0xffff)
}

/// An error type with its code (`ofp_error_msg.type`, `.code`).
public struct ErrorCode: Hashable, Sendable, CustomStringConvertible {
    public var type: ErrorType
    public var code: UInt16
    @inlinable public init(_ type: ErrorType, _ code: UInt16) { self.type = type; self.code = code }

    // OFPET_HELLO_FAILED
    public static let helloFailedIncompatible = ErrorCode(.helloFailed, 0)
    public static let helloFailedEperm = ErrorCode(.helloFailed, 1)
    // OFPET_BAD_REQUEST
    public static let badRequestBadVersion = ErrorCode(.badRequest, 0)
    public static let badRequestBadType = ErrorCode(.badRequest, 1)
    public static let badRequestBadMultipart = ErrorCode(.badRequest, 2)
    public static let badRequestBadExperimenter = ErrorCode(.badRequest, 3)
    public static let badRequestBadExpType = ErrorCode(.badRequest, 4)
    public static let badRequestEperm = ErrorCode(.badRequest, 5)
    public static let badRequestBadLen = ErrorCode(.badRequest, 6)
    public static let badRequestBufferEmpty = ErrorCode(.badRequest, 7)
    public static let badRequestBufferUnknown = ErrorCode(.badRequest, 8)
    public static let badRequestBadTableID = ErrorCode(.badRequest, 9)
    public static let badRequestIsSlave = ErrorCode(.badRequest, 10)
    public static let badRequestBadPort = ErrorCode(.badRequest, 11)
    public static let badRequestBadPacket = ErrorCode(.badRequest, 12)
    public static let badRequestMultipartBufferOverflow = ErrorCode(.badRequest, 13)
    // OFPET_BAD_ACTION
    public static let badActionBadType = ErrorCode(.badAction, 0)
    public static let badActionBadLen = ErrorCode(.badAction, 1)
    public static let badActionBadExperimenter = ErrorCode(.badAction, 2)
    public static let badActionBadExpType = ErrorCode(.badAction, 3)
    public static let badActionBadOutPort = ErrorCode(.badAction, 4)
    public static let badActionBadArgument = ErrorCode(.badAction, 5)
    public static let badActionEperm = ErrorCode(.badAction, 6)
    public static let badActionTooMany = ErrorCode(.badAction, 7)
    public static let badActionBadQueue = ErrorCode(.badAction, 8)
    public static let badActionBadOutGroup = ErrorCode(.badAction, 9)
    public static let badActionMatchInconsistent = ErrorCode(.badAction, 10)
    public static let badActionUnsupportedOrder = ErrorCode(.badAction, 11)
    public static let badActionBadTag = ErrorCode(.badAction, 12)
    public static let badActionBadSetType = ErrorCode(.badAction, 13)
    public static let badActionBadSetLen = ErrorCode(.badAction, 14)
    public static let badActionBadSetArgument = ErrorCode(.badAction, 15)
    // OFPET_BAD_INSTRUCTION
    public static let badInstructionUnknownInst = ErrorCode(.badInstruction, 0)
    public static let badInstructionUnsupInst = ErrorCode(.badInstruction, 1)
    public static let badInstructionBadTableID = ErrorCode(.badInstruction, 2)
    public static let badInstructionUnsupMetadata = ErrorCode(.badInstruction, 3)
    public static let badInstructionUnsupMetadataMask = ErrorCode(.badInstruction, 4)
    public static let badInstructionBadExperimenter = ErrorCode(.badInstruction, 5)
    public static let badInstructionBadExpType = ErrorCode(.badInstruction, 6)
    public static let badInstructionBadLen = ErrorCode(.badInstruction, 7)
    public static let badInstructionEperm = ErrorCode(.badInstruction, 8)
    // OFPET_BAD_MATCH
    public static let badMatchBadType = ErrorCode(.badMatch, 0)
    public static let badMatchBadLen = ErrorCode(.badMatch, 1)
    public static let badMatchBadTag = ErrorCode(.badMatch, 2)
    public static let badMatchBadDLAddrMask = ErrorCode(.badMatch, 3)
    public static let badMatchBadNWAddrMask = ErrorCode(.badMatch, 4)
    public static let badMatchBadWildcards = ErrorCode(.badMatch, 5)
    public static let badMatchBadField = ErrorCode(.badMatch, 6)
    public static let badMatchBadValue = ErrorCode(.badMatch, 7)
    public static let badMatchBadMask = ErrorCode(.badMatch, 8)
    public static let badMatchBadPrereq = ErrorCode(.badMatch, 9)
    public static let badMatchDupField = ErrorCode(.badMatch, 10)
    public static let badMatchEperm = ErrorCode(.badMatch, 11)
    // OFPET_FLOW_MOD_FAILED
    public static let flowModFailedUnknown = ErrorCode(.flowModFailed, 0)
    public static let flowModFailedTableFull = ErrorCode(.flowModFailed, 1)
    public static let flowModFailedBadTableID = ErrorCode(.flowModFailed, 2)
    public static let flowModFailedOverlap = ErrorCode(.flowModFailed, 3)
    public static let flowModFailedEperm = ErrorCode(.flowModFailed, 4)
    public static let flowModFailedBadTimeout = ErrorCode(.flowModFailed, 5)
    public static let flowModFailedBadCommand = ErrorCode(.flowModFailed, 6)
    public static let flowModFailedBadFlags = ErrorCode(.flowModFailed, 7)
    // OFPET_GROUP_MOD_FAILED
    public static let groupModFailedGroupExists = ErrorCode(.groupModFailed, 0)
    public static let groupModFailedInvalidGroup = ErrorCode(.groupModFailed, 1)
    public static let groupModFailedWeightUnsupported = ErrorCode(.groupModFailed, 2)
    public static let groupModFailedOutOfGroups = ErrorCode(.groupModFailed, 3)
    public static let groupModFailedOutOfBuckets = ErrorCode(.groupModFailed, 4)
    public static let groupModFailedChainingUnsupported = ErrorCode(.groupModFailed, 5)
    public static let groupModFailedWatchUnsupported = ErrorCode(.groupModFailed, 6)
    public static let groupModFailedLoop = ErrorCode(.groupModFailed, 7)
    public static let groupModFailedUnknownGroup = ErrorCode(.groupModFailed, 8)
    public static let groupModFailedChainedGroup = ErrorCode(.groupModFailed, 9)
    public static let groupModFailedBadType = ErrorCode(.groupModFailed, 10)
    public static let groupModFailedBadCommand = ErrorCode(.groupModFailed, 11)
    public static let groupModFailedBadBucket = ErrorCode(.groupModFailed, 12)
    public static let groupModFailedBadWatch = ErrorCode(.groupModFailed, 13)
    public static let groupModFailedEperm = ErrorCode(.groupModFailed, 14)
    // OFPET_PORT_MOD_FAILED
    public static let portModFailedBadPort = ErrorCode(.portModFailed, 0)
    public static let portModFailedBadHWAddr = ErrorCode(.portModFailed, 1)
    public static let portModFailedBadConfig = ErrorCode(.portModFailed, 2)
    public static let portModFailedBadAdvertise = ErrorCode(.portModFailed, 3)
    public static let portModFailedEperm = ErrorCode(.portModFailed, 4)
    // OFPET_TABLE_MOD_FAILED
    public static let tableModFailedBadTable = ErrorCode(.tableModFailed, 0)
    public static let tableModFailedBadConfig = ErrorCode(.tableModFailed, 1)
    public static let tableModFailedEperm = ErrorCode(.tableModFailed, 2)
    // OFPET_QUEUE_OP_FAILED
    public static let queueOpFailedBadPort = ErrorCode(.queueOpFailed, 0)
    public static let queueOpFailedBadQueue = ErrorCode(.queueOpFailed, 1)
    public static let queueOpFailedEperm = ErrorCode(.queueOpFailed, 2)
    // OFPET_SWITCH_CONFIG_FAILED
    public static let switchConfigFailedBadFlags = ErrorCode(.switchConfigFailed, 0)
    public static let switchConfigFailedBadLen = ErrorCode(.switchConfigFailed, 1)
    public static let switchConfigFailedEperm = ErrorCode(.switchConfigFailed, 2)
    // OFPET_ROLE_REQUEST_FAILED
    public static let roleRequestFailedStale = ErrorCode(.roleRequestFailed, 0)
    public static let roleRequestFailedUnsup = ErrorCode(.roleRequestFailed, 1)
    public static let roleRequestFailedBadRole = ErrorCode(.roleRequestFailed, 2)
    // OFPET_METER_MOD_FAILED
    public static let meterModFailedUnknown = ErrorCode(.meterModFailed, 0)
    public static let meterModFailedMeterExists = ErrorCode(.meterModFailed, 1)
    public static let meterModFailedInvalidMeter = ErrorCode(.meterModFailed, 2)
    public static let meterModFailedUnknownMeter = ErrorCode(.meterModFailed, 3)
    public static let meterModFailedBadCommand = ErrorCode(.meterModFailed, 4)
    public static let meterModFailedBadFlags = ErrorCode(.meterModFailed, 5)
    public static let meterModFailedBadRate = ErrorCode(.meterModFailed, 6)
    public static let meterModFailedBadBurst = ErrorCode(.meterModFailed, 7)
    public static let meterModFailedBadBand = ErrorCode(.meterModFailed, 8)
    public static let meterModFailedBadBandValue = ErrorCode(.meterModFailed, 9)
    public static let meterModFailedOutOfMeters = ErrorCode(.meterModFailed, 10)
    public static let meterModFailedOutOfBands = ErrorCode(.meterModFailed, 11)
    // OFPET_TABLE_FEATURES_FAILED
    public static let tableFeaturesFailedBadTable = ErrorCode(.tableFeaturesFailed, 0)
    public static let tableFeaturesFailedBadMetadata = ErrorCode(.tableFeaturesFailed, 1)
    public static let tableFeaturesFailedBadType = ErrorCode(.tableFeaturesFailed, 2)
    public static let tableFeaturesFailedBadLen = ErrorCode(.tableFeaturesFailed, 3)
    public static let tableFeaturesFailedBadArgument = ErrorCode(.tableFeaturesFailed, 4)
    public static let tableFeaturesFailedEperm = ErrorCode(.tableFeaturesFailed, 5)

    /// The spec's names, e.g. `OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ`.
    public var description: String {
        let t = Int(type.rawValue), c = Int(code)
        // Open vSwitch's OpenFlow 1.3 bundle errors: experimenter (ONF) codes 2300-2315.
        if type.rawValue == 0xffff, (2300...2315).contains(c) { return "OFPET_BUNDLE_FAILED/\(bundleErrorNames[c - 2300])" }
        guard t < errorNames.count else { return "type \(type.rawValue)/code \(code)" }
        let (typeName, codes) = errorNames[t]
        return c < codes.count ? "\(typeName)/\(codes[c])" : "\(typeName)/code \(code)"
    }
}

private let bundleErrorNames = [
    "OFPBFC_UNKNOWN", "OFPBFC_EPERM", "OFPBFC_BAD_ID", "OFPBFC_BUNDLE_EXIST", "OFPBFC_BUNDLE_CLOSED", "OFPBFC_OUT_OF_BUNDLES",
    "OFPBFC_BAD_TYPE", "OFPBFC_BAD_FLAGS", "OFPBFC_MSG_BAD_LEN", "OFPBFC_MSG_BAD_XID", "OFPBFC_MSG_UNSUP", "OFPBFC_MSG_CONFLICT",
    "OFPBFC_MSG_TOO_MANY", "OFPBFC_MSG_FAILED", "OFPBFC_TIMEOUT", "OFPBFC_BUNDLE_IN_PROGRESS",
]

private let errorNames: [(String, [String])] = [
    ("OFPET_HELLO_FAILED", ["OFPHFC_INCOMPATIBLE", "OFPHFC_EPERM"]),
    ("OFPET_BAD_REQUEST", ["OFPBRC_BAD_VERSION", "OFPBRC_BAD_TYPE", "OFPBRC_BAD_MULTIPART", "OFPBRC_BAD_EXPERIMENTER", "OFPBRC_BAD_EXP_TYPE", "OFPBRC_EPERM", "OFPBRC_BAD_LEN", "OFPBRC_BUFFER_EMPTY", "OFPBRC_BUFFER_UNKNOWN", "OFPBRC_BAD_TABLE_ID", "OFPBRC_IS_SLAVE", "OFPBRC_BAD_PORT", "OFPBRC_BAD_PACKET", "OFPBRC_MULTIPART_BUFFER_OVERFLOW"]),
    ("OFPET_BAD_ACTION", ["OFPBAC_BAD_TYPE", "OFPBAC_BAD_LEN", "OFPBAC_BAD_EXPERIMENTER", "OFPBAC_BAD_EXP_TYPE", "OFPBAC_BAD_OUT_PORT", "OFPBAC_BAD_ARGUMENT", "OFPBAC_EPERM", "OFPBAC_TOO_MANY", "OFPBAC_BAD_QUEUE", "OFPBAC_BAD_OUT_GROUP", "OFPBAC_MATCH_INCONSISTENT", "OFPBAC_UNSUPPORTED_ORDER", "OFPBAC_BAD_TAG", "OFPBAC_BAD_SET_TYPE", "OFPBAC_BAD_SET_LEN", "OFPBAC_BAD_SET_ARGUMENT"]),
    ("OFPET_BAD_INSTRUCTION", ["OFPBIC_UNKNOWN_INST", "OFPBIC_UNSUP_INST", "OFPBIC_BAD_TABLE_ID", "OFPBIC_UNSUP_METADATA", "OFPBIC_UNSUP_METADATA_MASK", "OFPBIC_BAD_EXPERIMENTER", "OFPBIC_BAD_EXP_TYPE", "OFPBIC_BAD_LEN", "OFPBIC_EPERM"]),
    ("OFPET_BAD_MATCH", ["OFPBMC_BAD_TYPE", "OFPBMC_BAD_LEN", "OFPBMC_BAD_TAG", "OFPBMC_BAD_DL_ADDR_MASK", "OFPBMC_BAD_NW_ADDR_MASK", "OFPBMC_BAD_WILDCARDS", "OFPBMC_BAD_FIELD", "OFPBMC_BAD_VALUE", "OFPBMC_BAD_MASK", "OFPBMC_BAD_PREREQ", "OFPBMC_DUP_FIELD", "OFPBMC_EPERM"]),
    ("OFPET_FLOW_MOD_FAILED", ["OFPFMFC_UNKNOWN", "OFPFMFC_TABLE_FULL", "OFPFMFC_BAD_TABLE_ID", "OFPFMFC_OVERLAP", "OFPFMFC_EPERM", "OFPFMFC_BAD_TIMEOUT", "OFPFMFC_BAD_COMMAND", "OFPFMFC_BAD_FLAGS"]),
    ("OFPET_GROUP_MOD_FAILED", ["OFPGMFC_GROUP_EXISTS", "OFPGMFC_INVALID_GROUP", "OFPGMFC_WEIGHT_UNSUPPORTED", "OFPGMFC_OUT_OF_GROUPS", "OFPGMFC_OUT_OF_BUCKETS", "OFPGMFC_CHAINING_UNSUPPORTED", "OFPGMFC_WATCH_UNSUPPORTED", "OFPGMFC_LOOP", "OFPGMFC_UNKNOWN_GROUP", "OFPGMFC_CHAINED_GROUP", "OFPGMFC_BAD_TYPE", "OFPGMFC_BAD_COMMAND", "OFPGMFC_BAD_BUCKET", "OFPGMFC_BAD_WATCH", "OFPGMFC_EPERM"]),
    ("OFPET_PORT_MOD_FAILED", ["OFPPMFC_BAD_PORT", "OFPPMFC_BAD_HW_ADDR", "OFPPMFC_BAD_CONFIG", "OFPPMFC_BAD_ADVERTISE", "OFPPMFC_EPERM"]),
    ("OFPET_TABLE_MOD_FAILED", ["OFPTMFC_BAD_TABLE", "OFPTMFC_BAD_CONFIG", "OFPTMFC_EPERM"]),
    ("OFPET_QUEUE_OP_FAILED", ["OFPQOFC_BAD_PORT", "OFPQOFC_BAD_QUEUE", "OFPQOFC_EPERM"]),
    ("OFPET_SWITCH_CONFIG_FAILED", ["OFPSCFC_BAD_FLAGS", "OFPSCFC_BAD_LEN", "OFPSCFC_EPERM"]),
    ("OFPET_ROLE_REQUEST_FAILED", ["OFPRRFC_STALE", "OFPRRFC_UNSUP", "OFPRRFC_BAD_ROLE"]),
    ("OFPET_METER_MOD_FAILED", ["OFPMMFC_UNKNOWN", "OFPMMFC_METER_EXISTS", "OFPMMFC_INVALID_METER", "OFPMMFC_UNKNOWN_METER", "OFPMMFC_BAD_COMMAND", "OFPMMFC_BAD_FLAGS", "OFPMMFC_BAD_RATE", "OFPMMFC_BAD_BURST", "OFPMMFC_BAD_BAND", "OFPMMFC_BAD_BAND_VALUE", "OFPMMFC_OUT_OF_METERS", "OFPMMFC_OUT_OF_BANDS"]),
    ("OFPET_TABLE_FEATURES_FAILED", ["OFPTFFC_BAD_TABLE", "OFPTFFC_BAD_METADATA", "OFPTFFC_BAD_TYPE", "OFPTFFC_BAD_LEN", "OFPTFFC_BAD_ARGUMENT", "OFPTFFC_EPERM"]),
]
