// The `Tessera` library product: one import gives a user's own code and tests the whole
// public API: load a network, read a target, load/save a core map, emulate it.
@_exported import CoreMap
@_exported import Emulator
@_exported import Estimate
@_exported import Frontend
@_exported import Hardware
@_exported import Mapping
@_exported import Passes
@_exported import Placement
@_exported import Reference
@_exported import Render
@_exported import SpikeIR
@_exported import TesseraSupport
