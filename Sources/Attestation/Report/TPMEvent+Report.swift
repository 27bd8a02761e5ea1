//===----------------------------------------------------------------------===//
//
// This source file is part of the Hyperward open source project
//
// Copyright (c) 2026 the Hyperward project authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//


extension TPMEvent {
    /// The event's data as report fields, named as tpm2-tools' YAML names them where it decodes
    /// the same structure; raw data as hex.
    var reportValue: ReportValue {
        switch body {
        case .raw:
            return .bytes(data)
        case .specID(let spec):
            var fields: [(String, ReportValue)] = [
                ("Signature", .string("Spec ID Event03")), ("platformClass", .integer(UInt64(spec.platformClass))),
                ("specVersionMinor", .integer(UInt64(spec.minor))), ("specVersionMajor", .integer(UInt64(spec.major))),
                ("specErrata", .integer(UInt64(spec.errata))), ("uintnSize", .integer(UInt64(spec.uintnSize))),
                ("numberOfAlgorithms", .integer(UInt64(spec.algorithms.count))),
                ("Algorithms", .list(spec.algorithms.map {
                    .object([("algorithmId", .string($0.algorithm.name)), ("digestSize", .integer(UInt64($0.digestSize)))])
                })),
                ("vendorInfoSize", .integer(UInt64(spec.declaredVendorInfoSize))),
            ]
            if !spec.vendorInfo.isEmpty { fields.append(("vendorInfo", .bytes(spec.vendorInfo))) }
            if spec.isVendorInfoTruncated { fields.append(("vendorInfoTruncated", .boolean(true))) }
            return .object(fields)
        case .startupLocality(let locality):
            return .object([("StartupLocality", .integer(UInt64(locality)))])
        case .separator(let value, let isError):
            return .object([("Separator", .address(UInt64(value))), ("IsError", .boolean(isError))])
        case .text(let text):
            return .object([("String", .string(text))])
        case .efiVariable(let variable):
            var fields: [(String, ReportValue)] = [
                ("VariableName", .string(variable.vendorGUID)),
                ("UnicodeNameLength", .integer(UInt64(variable.name.utf16.count))),
                ("VariableDataLength", .integer(UInt64(variable.dataLength))),
                ("UnicodeName", .string(variable.name)),
            ]
            if !variable.data.isEmpty { fields.append(("VariableData", .bytes(variable.data))) }
            return .object(fields)
        case .efiImageLoad(let image):
            var fields: [(String, ReportValue)] = [
                ("ImageLocationInMemory", .address(image.locationInMemory)),
                ("ImageLengthInMemory", .integer(image.lengthInMemory)),
                ("ImageLinkTimeAddress", .address(image.linkTimeAddress)),
                ("LengthOfDevicePath", .integer(UInt64(image.devicePath.count))),
                ("DevicePath", .string(image.devicePathText)),
            ]
            if let path = image.filePath { fields.append(("FilePath", .string(path))) }
            if image.decodedDevicePath.isTruncated {
                fields.append(("DevicePathTruncated", .boolean(true)))
                fields.append(("DevicePathBytes", .bytes(image.devicePath)))
            }
            return .object(fields)
        case .efiGPT(let gpt):
            let header: [(String, ReportValue)] = [
                ("Signature", .string("EFI PART")), ("Revision", .address(UInt64(gpt.revision))),
                ("HeaderSize", .integer(UInt64(gpt.headerSize))), ("MyLBA", .address(gpt.myLBA)),
                ("AlternateLBA", .address(gpt.alternateLBA)), ("FirstUsableLBA", .address(gpt.firstUsableLBA)),
                ("LastUsableLBA", .address(gpt.lastUsableLBA)), ("DiskGUID", .string(gpt.diskGUID)),
                ("PartitionEntryLBA", .address(gpt.partitionEntryLBA)),
                ("NumberOfPartitionEntries", .integer(UInt64(gpt.numberOfPartitionEntries))),
                ("SizeOfPartitionEntry", .integer(UInt64(gpt.sizeOfPartitionEntry))),
            ]
            return .object([
                ("Header", .object(header)),
                ("NumberOfPartitions", .integer(UInt64(gpt.partitions.count))),
                ("Partitions", .list(gpt.partitions.map {
                    .object([("PartitionTypeGUID", .string($0.typeGUID)), ("UniquePartitionGUID", .string($0.uniqueGUID)),
                             ("StartingLBA", .address($0.startingLBA)), ("EndingLBA", .address($0.endingLBA)),
                             ("Attributes", .address($0.attributes)), ("PartitionName", .string($0.name))])
                })),
            ])
        case .firmwareBlob(let blob):
            var fields: [(String, ReportValue)] = []
            if let description = blob.description { fields.append(("BlobDescription", .string(description))) }
            fields.append(("BlobBase", .address(blob.base)))
            fields.append(("BlobLength", .address(blob.length)))
            return .object(fields)
        case .handoffTables(let handoff):
            var fields: [(String, ReportValue)] = []
            if let description = handoff.description { fields.append(("TableDescription", .string(description))) }
            fields.append(("NumberOfTables", .integer(UInt64(handoff.tables.count))))
            fields.append(("Tables", .list(handoff.tables.map {
                .object([("VendorGuid", .string($0.vendorGUID)), ("VendorTable", .address($0.address))])
            })))
            return .object(fields)
        }
    }
}
