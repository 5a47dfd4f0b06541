/// Values kept in a dense array and reached by a small handle (`Int32`), with a key → handle
/// index: the engine's indexes hold handles, not strings. Released slots are reused.
struct Interned<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private(set) var handles: [Key: Int32] = [:]
    private var values: [Value] = []
    private var keys: [Key?] = []
    private var free: [Int32] = []
    private let empty: Value

    init(empty: Value) { self.empty = empty }

    var count: Int { handles.count }

    func find(_ key: Key) -> Int32? { handles[key] }

    /// The handle of `key`, made with `make` when it has none.
    mutating func handle(_ key: Key, make: () -> Value) -> Int32 {
        if let h = handles[key] { return h }
        let value = make()
        let h: Int32
        if let reused = free.popLast() {
            h = reused
            values[Int(h)] = value
            keys[Int(h)] = key
        } else {
            h = Int32(values.count)
            values.append(value)
            keys.append(key)
        }
        handles[key] = h
        return h
    }

    func key(_ h: Int32) -> Key? { keys[Int(h)] }

    subscript(_ h: Int32) -> Value {
        get { values[Int(h)] }
        _modify { yield &values[Int(h)] }
    }

    /// Frees a handle for reuse; its value is reset.
    mutating func release(_ h: Int32) {
        guard let key = keys[Int(h)] else { return }
        handles[key] = nil
        keys[Int(h)] = nil
        values[Int(h)] = empty
        free.append(h)
    }

    var all: Dictionary<Key, Int32>.Values { handles.values }
}
