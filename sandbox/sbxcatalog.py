"""Static catalog of the sandbox cloud: regions, zones, AMIs, instance types.

Values follow what real EC2 answers (names, owners, GPU sizes) closely enough
for a client to make the same decisions it would make against AWS.
"""
import hashlib

REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"]
ZONE_LETTERS = ["a", "b", "c"]
_ZONE_ID_PREFIX = {
    "us-east-1": "use1", "us-east-2": "use2", "us-west-2": "usw2",
    "eu-west-1": "euw1", "eu-central-1": "euc1", "ap-northeast-1": "apne1",
}

AMAZON_OWNER = "898082745236"      # owner of the Deep Learning AMIs (alias "amazon")
CANONICAL_OWNER = "099720109477"   # Canonical (no alias)


def zones(region):
    return [region + z for z in ZONE_LETTERS]


def zone_id(zone):
    region, letter = zone[:-1], zone[-1]
    return "%s-az%d" % (_ZONE_ID_PREFIX[region], ZONE_LETTERS.index(letter) + 1)


def hexid(*parts, n=17):
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


# name, architecture, creationDate, root device, root snapshot size (GiB), owner, alias, state, description
_DLAMI = "Deep Learning OSS Nvidia Driver AMI GPU "
_IMAGES = [
    (_DLAMI + "PyTorch 2.3.0 (Ubuntu 20.04) 20240611", "x86_64", "2024-06-11T21:12:40.000Z", "/dev/sda1", 75, "amazon"),
    (_DLAMI + "PyTorch 2.3.1 (Ubuntu 20.04) 20240825", "x86_64", "2024-08-25T10:31:05.000Z", "/dev/sda1", 75, "amazon"),
    (_DLAMI + "PyTorch 2.3.0 (Ubuntu 22.04) 20240611", "x86_64", "2024-06-11T22:40:13.000Z", "/dev/sda1", 75, "amazon"),
    (_DLAMI + "PyTorch 2.3.1 (Ubuntu 22.04) 20240718", "x86_64", "2024-07-18T09:02:51.000Z", "/dev/sda1", 75, "amazon"),
    (_DLAMI + "PyTorch 2.3.1 (Ubuntu 22.04) 20240825", "x86_64", "2024-08-25T11:20:44.000Z", "/dev/sda1", 75, "amazon"),
    (_DLAMI + "PyTorch 2.3.0 (Amazon Linux 2023) 20240612", "x86_64", "2024-06-12T08:15:22.000Z", "/dev/xvda", 65, "amazon"),
    (_DLAMI + "PyTorch 2.3.1 (Amazon Linux 2023) 20240826", "x86_64", "2024-08-26T07:47:10.000Z", "/dev/xvda", 65, "amazon"),
    (_DLAMI + "TensorFlow 2.15 (Ubuntu 20.04) 20240501", "x86_64", "2024-05-01T17:30:02.000Z", "/dev/sda1", 75, "amazon"),
    (_DLAMI + "TensorFlow 2.16 (Ubuntu 22.04) 20240815", "x86_64", "2024-08-15T14:05:37.000Z", "/dev/sda1", 75, "amazon"),
    (_DLAMI + "TensorFlow 2.16 (Amazon Linux 2023) 20240816", "x86_64", "2024-08-16T12:44:19.000Z", "/dev/xvda", 65, "amazon"),
    ("Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20240820", "x86_64", "2024-08-20T19:26:48.000Z", "/dev/sda1", 75, "amazon"),
    ("Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20240822", "arm64", "2024-08-22T16:03:11.000Z", "/dev/sda1", 75, "amazon"),
    # Newest by name and date but not yet available: a client must filter on state=available.
    (_DLAMI + "PyTorch 2.4.0 (Ubuntu 22.04) 20240905", "x86_64", "2024-09-05T09:00:00.000Z", "/dev/sda1", 75, "amazon", "pending"),
    ("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240801", "x86_64", "2024-08-01T05:38:51.000Z", "/dev/sda1", 8, "canonical"),
    ("ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20240730", "x86_64", "2024-07-30T04:12:09.000Z", "/dev/sda1", 8, "canonical"),
]


def images(region):
    out = []
    for row in _IMAGES:
        name, arch, created, rootdev, size, owner = row[:6]
        state = row[6] if len(row) > 6 else "available"
        iid = "ami-" + hexid(region, name)
        snap = "snap-" + hexid("snap", region, name)
        if owner == "amazon":
            owner_id, alias = AMAZON_OWNER, "amazon"
            desc = ("Supported EC2 instances: G4dn, G5, G6, Gr6, P4, P4de, P5. PyTorch-2.3, TensorFlow-2.16, "
                    "NVIDIA driver 550, CUDA 12.1") if "Nvidia" in name else name
            location = "amazon/" + name
        else:
            owner_id, alias = CANONICAL_OWNER, None
            desc = "Canonical, Ubuntu, %s LTS, amd64 image" % ("22.04" if "jammy" in name else "20.04")
            location = "%s/%s" % (CANONICAL_OWNER, name)
        out.append({
            "ImageId": iid, "Name": name, "Architecture": arch, "CreationDate": created,
            "RootDeviceName": rootdev, "RootSnapshotSize": size, "RootSnapshotId": snap,
            "OwnerId": owner_id, "ImageOwnerAlias": alias, "State": state, "Description": desc,
            "ImageLocation": location,
            "User": "ec2-user" if "Amazon Linux" in name else "ubuntu",
        })
    return out


def _gpu(name, manu, count, mib):
    return {"Gpus": [{"Name": name, "Manufacturer": manu, "Count": count, "MemoryInfo": {"SizeInMiB": mib}}],
            "TotalGpuMemoryInMiB": count * mib}


# type: vcpus, cores, threads/core, memory MiB, gpu, instance storage (count, GB), network, hypervisor, clock
INSTANCE_TYPES = {
    "g4dn.xlarge": (4, 2, 2, 16384, _gpu("T4", "NVIDIA", 1, 15360), (1, 125), "Up to 25 Gigabit", "nitro", 2.5),
    "g4dn.2xlarge": (8, 4, 2, 32768, _gpu("T4", "NVIDIA", 1, 15360), (1, 225), "Up to 25 Gigabit", "nitro", 2.5),
    "g5.xlarge": (4, 2, 2, 16384, _gpu("A10G", "NVIDIA", 1, 24576), (1, 250), "Up to 10 Gigabit", "nitro", 3.3),
    "g5.2xlarge": (8, 4, 2, 32768, _gpu("A10G", "NVIDIA", 1, 24576), (1, 450), "Up to 10 Gigabit", "nitro", 3.3),
    "g6.xlarge": (4, 2, 2, 16384, _gpu("L4", "NVIDIA", 1, 22888), (1, 250), "Up to 10 Gigabit", "nitro", 3.4),
    "p3.2xlarge": (8, 4, 2, 62464, _gpu("V100", "NVIDIA", 1, 16384), None, "Up to 10 Gigabit", "xen", 2.7),
    "p4d.24xlarge": (96, 48, 2, 1179648, _gpu("A100", "NVIDIA", 8, 40960), (8, 1000), "4x 100 Gigabit", "nitro", 3.0),
    "t3.medium": (2, 1, 2, 4096, None, None, "Up to 5 Gigabit", "nitro", 2.5),
    "m5.large": (2, 1, 2, 8192, None, None, "Up to 10 Gigabit", "nitro", 3.1),
}


def instance_type_info(name):
    vcpus, cores, tpc, mem, gpu, storage, net, hyp, clock = INSTANCE_TYPES[name]
    info = {
        "InstanceType": name,
        "CurrentGeneration": not name.startswith("p3."),
        "FreeTierEligible": False,
        "SupportedUsageClasses": ["on-demand", "spot"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"],
        "BareMetal": False,
        "Hypervisor": hyp,
        "ProcessorInfo": {"SupportedArchitectures": ["x86_64"], "SustainedClockSpeedInGhz": clock},
        "VCpuInfo": {"DefaultVCpus": vcpus, "DefaultCores": cores, "DefaultThreadsPerCore": tpc,
                     "ValidCores": list(range(1, cores + 1)), "ValidThreadsPerCore": [1, 2]},
        "MemoryInfo": {"SizeInMiB": mem},
        "InstanceStorageSupported": storage is not None,
        "EbsInfo": {"EbsOptimizedSupport": "default", "EncryptionSupport": "supported",
                    "NvmeSupport": "required" if hyp == "nitro" else "unsupported"},
        "NetworkInfo": {"NetworkPerformance": net, "MaximumNetworkInterfaces": 4, "MaximumNetworkCards": 1,
                        "DefaultNetworkCardIndex": 0, "Ipv4AddressesPerInterface": 15,
                        "Ipv6AddressesPerInterface": 15, "Ipv6Supported": True, "EnaSupport": "required",
                        "EfaSupported": name.startswith("p4d."), "EncryptionInTransitSupported": hyp == "nitro"},
        "PlacementGroupInfo": {"SupportedStrategies": ["cluster", "partition", "spread"]},
        "HibernationSupported": name.startswith(("g4dn", "t3", "m5")),
        "BurstablePerformanceSupported": name.startswith("t3."),
        "DedicatedHostsSupported": True,
        "AutoRecoverySupported": storage is None,
        "SupportedBootModes": ["legacy-bios", "uefi"],
    }
    if storage is not None:
        count, size = storage
        info["InstanceStorageInfo"] = {"TotalSizeInGB": count * size,
                                       "Disks": [{"SizeInGB": size, "Count": count, "Type": "ssd"}],
                                       "NvmeSupport": "required", "EncryptionSupport": "required"}
    if gpu is not None:
        info["GpuInfo"] = gpu
    return info
