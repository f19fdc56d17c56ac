#!/bin/sh
# Regenerates Sources/ONNXProto/onnx.pb.swift from tools/onnx/onnx.proto3 (committed; `make
# test` needs neither protoc nor the plugin). onnx.proto3 is ONNX 1.23.2's own, written by
# `python onnx/gen_proto.py -o DIR onnx` from the onnx wheel's onnx.in.proto.
#
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift of the swift-protobuf version
# Package.swift names (1.39.0):
#   git clone https://github.com/apple/swift-protobuf /tmp/swpb && git -C /tmp/swpb checkout 1.39.0
#   (cd /tmp/swpb && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swpb/.build/release/protoc-gen-swift tools/onnx/generate_swift.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
plugin=${PROTOC_GEN_SWIFT:-protoc-gen-swift}
cd "$here"
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Public \
    --swift_out="$here/../../Sources/ONNXProto" onnx.proto3
