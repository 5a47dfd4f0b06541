import Foundation
import TaaSPolicy
import TaaSState

/// Resources as Neutron shows them (`tenant_id` alongside `project_id`, as Neutron does), with
/// the status the controller worked out.
enum Render {
    static func service(_ s: TapService, _ state: ResourceState) -> TapServiceView { TapServiceView(s, state) }
    static func flow(_ f: TapFlow, _ state: ResourceState) -> TapFlowView { TapFlowView(f, state) }
    static func mirror(_ m: TapMirror, _ state: ResourceState) -> TapMirrorView { TapMirrorView(m, state) }

    /// Lists look their statuses up under one lock.
    static func services(_ all: [TapService], _ board: StatusBoard) -> [TapServiceView] {
        zip(all, board.states(.tapService, all.map(\.id))).map { TapServiceView($0, $1) }
    }

    static func flows(_ all: [TapFlow], _ board: StatusBoard) -> [TapFlowView] {
        zip(all, board.states(.tapFlow, all.map(\.id))).map { TapFlowView($0, $1) }
    }

    static func mirrors(_ all: [TapMirror], _ board: StatusBoard) -> [TapMirrorView] {
        zip(all, board.states(.tapMirror, all.map(\.id))).map { TapMirrorView($0, $1) }
    }
}
