import CMPI
import Foundation
import TesseraSupport

/// The processes of one `mpirun` job, through Open MPI: the transport of a board emulated
/// over several processes (``BoardPartition``), as Compass did on Blue Gene. A process that
/// `mpirun` did not start is a one-process run and never touches MPI.
///
///     if MPIWorld.launchedByMPI, let world = try MPIWorld.start() {
///         defer { world.finish() }
///         print(world.rank, "of", world.ranks)
///     }
public final class MPIWorld: SpikeExchange, @unchecked Sendable {
    public let rank: Int
    public let ranks: Int
    private let comm: MPI_Comm
    /// Time this rank spent in the per-tick exchanges (waiting for the slowest rank
    /// included), and the bytes it sent in them.
    public private(set) var exchangeSeconds = 0.0
    public private(set) var bytesSent = 0

    /// Whether `mpirun` (Open MPI, or another launcher that sets PMI variables) started
    /// this process.
    public static var launchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil || environment["PMI_RANK"] != nil
    }

    private init(rank: Int, ranks: Int, comm: MPI_Comm) {
        self.rank = rank
        self.ranks = ranks
        self.comm = comm
    }

    /// Joins the job (MPI_Init). Throws if MPI cannot start.
    public static func start() throws(DiagnosticError) -> MPIWorld {
        var provided: Int32 = 0
        guard MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided) == MPI_SUCCESS else {
            throw DiagnosticError("MPI: this process could not join the mpirun job (MPI_Init failed)")
        }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(tessera_mpi_world(), &rank)
        MPI_Comm_size(tessera_mpi_world(), &size)
        return MPIWorld(rank: Int(rank), ranks: Int(size), comm: tessera_mpi_world())
    }

    /// Leaves the job (MPI_Finalize).
    public func finish() { MPI_Finalize() }

    /// Every rank says whether it is ready; if any is not, every rank throws an error that
    /// names the ranks that failed and the first one's message. So a rank that cannot load
    /// its map stops the job with a clear error instead of leaving the others waiting for
    /// it in the first exchange.
    public func agree(_ failure: String?) throws(DiagnosticError) {
        var failed: Int32 = failure == nil ? 0 : 1
        var flags = [Int32](repeating: 0, count: ranks)
        MPI_Allgather(&failed, 1, tessera_mpi_int32(), &flags, 1, tessera_mpi_int32(), comm)
        let bad = flags.indices.filter { flags[$0] != 0 }
        guard let first = bad.first else { return }
        // The first failing rank's message, to everyone.
        var text = Array((rank == first ? failure ?? "" : "").utf8.prefix(4000)).map { CChar(bitPattern: $0) }
        var length = Int32(text.count)
        MPI_Bcast(&length, 1, tessera_mpi_int32(), Int32(first), comm)
        if rank != first { text = [CChar](repeating: 0, count: Int(length)) }
        if length > 0 { MPI_Bcast(&text, length, tessera_mpi_char(), Int32(first), comm) }
        let message = String(decoding: text.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw DiagnosticError("MPI: rank\(bad.count > 1 ? "s" : "") \(bad.map(String.init).joined(separator: ", ")) of \(ranks) could not start: \(message)")
    }

    public func allToAll(_ outgoing: [[Int32]]) -> [Int32] {
        let clock = ContinuousClock(), start = clock.now
        defer { exchangeSeconds += (clock.now - start).seconds }
        bytesSent += outgoing.reduce(0) { $0 + $1.count } * 4
        var sendCounts = outgoing.map { Int32($0.count) }
        var receiveCounts = [Int32](repeating: 0, count: ranks)
        MPI_Alltoall(&sendCounts, 1, tessera_mpi_int32(), &receiveCounts, 1, tessera_mpi_int32(), comm)
        var sendOffsets = [Int32](repeating: 0, count: ranks), receiveOffsets = [Int32](repeating: 0, count: ranks)
        for q in 1..<max(ranks, 1) {
            sendOffsets[q] = sendOffsets[q - 1] + sendCounts[q - 1]
            receiveOffsets[q] = receiveOffsets[q - 1] + receiveCounts[q - 1]
        }
        var send = outgoing.flatMap { $0 }
        var receive = [Int32](repeating: 0, count: Int(receiveCounts.reduce(0, +)))
        if send.isEmpty { send = [0] }
        if receive.isEmpty {
            var sink: Int32 = 0
            MPI_Alltoallv(&send, &sendCounts, &sendOffsets, tessera_mpi_int32(), &sink, &receiveCounts, &receiveOffsets, tessera_mpi_int32(), comm)
            return []
        }
        MPI_Alltoallv(&send, &sendCounts, &sendOffsets, tessera_mpi_int32(), &receive, &receiveCounts, &receiveOffsets, tessera_mpi_int32(), comm)
        return receive
    }

    public func sum(_ values: [Int]) -> [Int] {
        guard !values.isEmpty else { return [] }
        var mine = values.map(Int64.init)
        var total = [Int64](repeating: 0, count: values.count)
        MPI_Allreduce(&mine, &total, Int32(values.count), tessera_mpi_int64(), tessera_mpi_sum(), comm)
        return total.map { Int($0) }
    }

    public func gather(_ values: [Int32]) -> [[Int32]] {
        var count = Int32(values.count)
        var counts = [Int32](repeating: 0, count: ranks)
        MPI_Allgather(&count, 1, tessera_mpi_int32(), &counts, 1, tessera_mpi_int32(), comm)
        var offsets = [Int32](repeating: 0, count: ranks)
        for q in 1..<max(ranks, 1) { offsets[q] = offsets[q - 1] + counts[q - 1] }
        var all = [Int32](repeating: 0, count: max(Int(counts.reduce(0, +)), 1))
        var mine = values.isEmpty ? [Int32(0)] : values
        MPI_Allgatherv(&mine, count, tessera_mpi_int32(), &all, &counts, &offsets, tessera_mpi_int32(), comm)
        return (0..<ranks).map { q in Array(all[Int(offsets[q])..<Int(offsets[q] + counts[q])]) }
    }
}
