/// What a body run on a thread of its own returned or threw; read after the thread signals done.
final class ThreadResult<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}
