#!/usr/bin/env python3
"""Small helpers for .ci/clients.sh (standard library only).

  make-layout DIR TAG          write a two-layer OCI image layout (random
                               files, gzip layers, real config with diff_ids);
                               prints the manifest digest
  manifest-digest DIR TAG      digest of the manifest tagged TAG in a layout
  compare-layouts A B TAG      the image TAG must have the same manifest digest
                               in both layouts, and every blob it references
                               must exist in both, byte-identical, and match
                               its digest
  sha256 FILE                  sha256:<hex> of a file
  json-get FILE KEY            print a top-level key of a JSON object
  discover-has FILE DIGEST TYPE
                               `oras discover --format json` output lists a
                               referrer DIGEST with artifactType TYPE
  lines-contain FILE WORD...   every WORD is one of the lines of FILE
  lines-lack FILE WORD...      no WORD is one of the lines of FILE
"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"


def die(msg):
    print(f"ocitool: {msg}", file=sys.stderr)
    sys.exit(1)


def sha256_bytes(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def write_blob(layout, data):
    digest = sha256_bytes(data)
    path = os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])
    with open(path, "wb") as f:
        f.write(data)
    return {"digest": digest, "size": len(data)}


def make_layer(files):
    """files: list of (path, bytes). Returns (uncompressed tar, gzip)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({os.path.dirname(p) for p, _ in files if os.path.dirname(p)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            info.mtime = 1700000000
            tar.addfile(info)
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar_bytes)
    return tar_bytes, gz.getvalue()


def make_layout(layout, tag):
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    layers = [
        [("app/data1.bin", os.urandom(300 * 1024)), ("app/README", b"portfolio ci layer one\n")],
        [("app/data2.bin", os.urandom(1024 * 1024 + 17)), ("etc/portfolio/hello", b"hello\n")],
    ]
    layer_descs, diff_ids, history = [], [], []
    for i, files in enumerate(layers):
        tar_bytes, gz_bytes = make_layer(files)
        desc = write_blob(layout, gz_bytes)
        desc["mediaType"] = MT_LAYER_GZIP
        layer_descs.append(desc)
        diff_ids.append(sha256_bytes(tar_bytes))
        history.append({"created": "2024-01-01T00:00:00Z", "created_by": f"portfolio-ci layer {i + 1}"})
    config = {
        "created": "2024-01-01T00:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"], "WorkingDir": "/app"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    config_desc = write_blob(layout, json.dumps(config, indent=2).encode())
    config_desc["mediaType"] = MT_CONFIG
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": config_desc["digest"], "size": config_desc["size"]},
        "layers": [{"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"]} for d in layer_descs],
        "annotations": {"org.opencontainers.image.description": "portfolio ci test image"},
    }
    mdesc = write_blob(layout, json.dumps(manifest, indent=2).encode())
    index = {
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [
            {
                "mediaType": MT_MANIFEST,
                "digest": mdesc["digest"],
                "size": mdesc["size"],
                "platform": {"architecture": "amd64", "os": "linux"},
                "annotations": {REF_NAME: tag},
            }
        ],
    }
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    print(mdesc["digest"])


def blob_path(layout, digest):
    algo, hexpart = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexpart)


def manifest_desc(layout, tag):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    found = [m for m in index.get("manifests", []) if m.get("annotations", {}).get(REF_NAME) == tag]
    if len(found) != 1:
        die(f"{layout}: expected one manifest tagged {tag!r} in index.json, found {len(found)}")
    return found[0]


def referenced_blobs(layout, digest):
    """Digests of a manifest (or index) and everything it references."""
    with open(blob_path(layout, digest), "rb") as f:
        doc = json.loads(f.read())
    out = [digest]
    if "manifests" in doc:
        for m in doc["manifests"]:
            out += referenced_blobs(layout, m["digest"])
    else:
        out.append(doc["config"]["digest"])
        out += [l["digest"] for l in doc.get("layers", [])]
    return out


def compare_layouts(a, b, tag):
    da, db = manifest_desc(a, tag), manifest_desc(b, tag)
    if da["digest"] != db["digest"]:
        die(f"manifest digest differs: {a}: {da['digest']}  {b}: {db['digest']}")
    blobs = referenced_blobs(a, da["digest"])
    total = 0
    for d in blobs:
        pa, pb = blob_path(a, d), blob_path(b, d)
        if not os.path.exists(pb):
            die(f"blob {d} missing in {b}")
        ha, hb = sha256_file(pa), sha256_file(pb)
        if ha != d or hb != d:
            die(f"blob {d}: content hashes {ha} ({a}) / {hb} ({b})")
        total += os.path.getsize(pb)
        print(f"  identical {d} ({os.path.getsize(pb)} bytes)")
    print(f"manifest {da['digest']}: {len(blobs)} blobs, {total} bytes, identical in both layouts")


def discover_has(path, digest, artifact_type):
    with open(path) as f:
        doc = json.load(f)
    found = []

    def walk(node):
        for r in node.get("referrers") or []:
            found.append(r)
            walk(r)
        for m in node.get("manifests") or []:  # older oras formats
            found.append(m)

    walk(doc)
    for r in found:
        if r.get("digest") == digest:
            if r.get("artifactType") != artifact_type:
                die(f"referrer {digest} has artifactType {r.get('artifactType')!r}, want {artifact_type!r}")
            print(f"referrer {digest} listed with artifactType {artifact_type}")
            return
    die(f"referrer {digest} not listed; referrers: {[r.get('digest') for r in found]}")


def read_lines(path):
    with open(path) as f:
        return {line.strip() for line in f if line.strip()}


def main(argv):
    if len(argv) < 2:
        die(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "make-layout" and len(args) == 2:
        make_layout(*args)
    elif cmd == "manifest-digest" and len(args) == 2:
        print(manifest_desc(*args)["digest"])
    elif cmd == "compare-layouts" and len(args) == 3:
        compare_layouts(*args)
    elif cmd == "sha256" and len(args) == 1:
        print(sha256_file(args[0]))
    elif cmd == "json-get" and len(args) == 2:
        with open(args[0]) as f:
            value = json.load(f).get(args[1])
        if value is None:
            die(f"{args[0]}: no key {args[1]!r}")
        print(value)
    elif cmd == "discover-has" and len(args) == 3:
        discover_has(*args)
    elif cmd == "lines-contain" and len(args) >= 2:
        have = read_lines(args[0])
        missing = [w for w in args[1:] if w not in have]
        if missing:
            die(f"missing {missing}; got {sorted(have)}")
        print(f"present: {' '.join(args[1:])}")
    elif cmd == "lines-lack" and len(args) >= 2:
        have = read_lines(args[0])
        present = [w for w in args[1:] if w in have]
        if present:
            die(f"unexpectedly present {present}; got {sorted(have)}")
        print(f"absent: {' '.join(args[1:])}")
    else:
        die(__doc__)


if __name__ == "__main__":
    main(sys.argv)
