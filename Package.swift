// swift-tools-version:6.0
import PackageDescription

// Modules follow the data flow of docs/architecture in ../shared/DESIGN.md:
// TesseraSupport <- SpikeIR, Hardware <- Frontend; Hardware <- CoreMap <- Emulator;
// Hardware <- Placement <- Mapping (partition, then placement, then the map);
// all of them <- Tessera (the public API) <- tessera (the CLI).
let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Tessera", targets: ["Tessera"]),
        .executable(name: "tessera", targets: ["TesseraCLI"]),
        .executable(name: "tessera-bench", targets: ["TesseraBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        .target(name: "TesseraSupport", dependencies: [.product(name: "Yams", package: "Yams")], exclude: ["README.md"]),
        .target(name: "SpikeIR", dependencies: ["TesseraSupport"], exclude: ["README.md"]),
        .target(name: "Hardware", dependencies: ["TesseraSupport", .product(name: "Yams", package: "Yams")], exclude: ["README.md"]),
        // libhdf5 reads NIR files (Debian: libhdf5-dev).
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        // ONNX's protobuf messages, generated once from tools/onnx/onnx.proto3 and committed
        // (tools/onnx/generate_swift.sh), so that building needs no protoc.
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")], exclude: ["README.md"]),
        .target(name: "Frontend", dependencies: [
            "TesseraSupport", "SpikeIR", "Hardware", "CHDF5", "ONNXProto",
            .product(name: "Yams", package: "Yams"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], exclude: ["README.md"]),
        // zlib deflates the v2 archive's members as they are produced (Debian: zlib1g-dev).
        .systemLibrary(name: "SystemZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CoreMap", dependencies: ["TesseraSupport", "Hardware", "SystemZlib", .product(name: "ZIPFoundation", package: "ZIPFoundation")], exclude: ["README.md"]),
        .target(name: "CPrefetch", exclude: ["README.md"]),
        // The emulator's inner loops in C, with AVX2 and AVX-512 versions chosen at run time.
        .target(name: "CKernels", exclude: ["README.md"]),
        // Open MPI splits one emulation over several processes (Debian: libopenmpi-dev).
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "Emulator", dependencies: ["TesseraSupport", "Hardware", "CoreMap", "CPrefetch", "CKernels", "CMPI"], exclude: ["README.md"]),
        .target(name: "Reference", dependencies: ["TesseraSupport", "SpikeIR", "Hardware", "Emulator"], exclude: ["README.md"]),
        .target(name: "Passes", dependencies: ["TesseraSupport", "SpikeIR", "CoreMap", "Emulator", "Reference"], exclude: ["README.md"]),
        // METIS partitions the core graph for placement (Debian: libmetis-dev).
        .systemLibrary(name: "CMetis", providers: [.apt(["libmetis-dev"])]),
        // Placement: slots on the board for partitioned cores, from their traffic.
        .target(name: "Placement", dependencies: ["TesseraSupport", "Hardware", "CMetis"], exclude: ["README.md"]),
        .target(name: "Mapping", dependencies: ["TesseraSupport", "SpikeIR", "Hardware", "CoreMap", "Emulator", "Reference", "Placement"], exclude: ["README.md"]),
        .target(name: "Estimate", dependencies: ["TesseraSupport", "Hardware", "CoreMap", "Emulator"], exclude: ["README.md"]),
        // Cairo rasterises pictures to PNG; `make deps` installs it (Debian: libcairo2-dev).
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        .target(name: "Render", dependencies: ["TesseraSupport", "Hardware", "CoreMap", "Emulator", "Estimate", "CCairo"], exclude: ["README.md"]),
        .target(name: "Tessera", dependencies: ["TesseraSupport", "SpikeIR", "Hardware", "Frontend", "CoreMap", "Emulator", "Reference", "Passes", "Mapping", "Placement",
                                                "Estimate", "Render"], exclude: ["README.md"]),
        .executableTarget(name: "TesseraCLI", dependencies: [
            "Tessera",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["README.md"]),
        // `make bench`: measurements, kept apart from the tests.
        .executableTarget(name: "TesseraBench", dependencies: ["Tessera"], exclude: ["README.md"]),
        // `make fuzz READER=...`: one libFuzzer target per reader (docs/reliability.md); built
        // without the fuzzer, each replays the files it is given.
        .target(name: "FuzzTargets", dependencies: ["Tessera"], exclude: ["README.md"]),
    ] + ["yaml", "npy", "npz", "coremap-v1", "coremap-v2", "nir", "onnx"].map { reader -> Target in
        .executableTarget(name: "fuzz-\(reader)", dependencies: ["FuzzTargets"])
    } + [
        .testTarget(name: "TesseraTests", dependencies: ["Tessera"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
