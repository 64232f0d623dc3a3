#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Small files of every format, from the repository's samples (resources/samples) and made here the
way the published tools write them (NumPy, h5py, torch.save), so that the fuzzer starts from
inputs the parsers accept. Run with the project's Python (.venv/bin/python tests/fuzz/make_corpus.py);
then scripts/fuzz.sh adds what the fuzzer finds interesting (--merge).
"""
import collections
import io
import os
import shutil
import sys
import zipfile

import h5py
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
SAMPLES = os.path.join(ROOT, "resources", "samples")
REFERENCE = os.environ.get("ERWIN_REFERENCE_DIR", os.path.join(ROOT, "..", "shared", "reference"))
SEPARATOR = b"\n--erwin-fuzz-part--\n"  # tests/fuzz/fuzz_support.h
MODEL_JSON = (b'{"c_in": 16, "c_hidden": [16, 32], "ball_sizes": [8, 8], "enc_num_heads": [1, 2], '
              b'"enc_depths": [1, 1], "dec_num_heads": [1], "dec_depths": [1], "strides": [2], '
              b'"rotate": 45, "mlp_ratio": 4, "dimensionality": 3, "mp_steps": 1}')


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


def npy(array):
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def npz(compressed=False, **arrays):
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, **arrays)
    return out.getvalue()


def torch_bytes(value):
    out = io.BytesIO()
    torch.save(value, out)
    return out.getvalue()


def h5(datasets, attributes=None):
    out = io.BytesIO()
    with h5py.File(out, "w") as f:
        for name, value in datasets.items():
            f.create_dataset(name, data=value)
        for (group, name), value in (attributes or {}).items():
            f.require_group(group).attrs[name] = value
    return out.getvalue()


def numpy_seeds():
    rng = np.random.default_rng(0)
    put("npy", "torus_cloud.npy", sample("torus_cloud.npy"))
    put("npy", "f4_2x3.npy", npy(rng.random((2, 3), dtype=np.float32)))
    put("npy", "f8_fortran.npy", npy(np.asfortranarray(rng.random((3, 2)))))
    put("npy", "i8_be.npy", npy(np.arange(4, dtype=">i8")))
    put("npy", "u1_scalar.npy", npy(np.uint8(7)))
    put("npy", "bool_empty.npy", npy(np.zeros((0, 3), dtype=bool)))
    put("npz", "square_2d.npz", sample("square_2d.npz"))
    meta = np.frombuffer(b'{"config": {"c_in": 2}}', dtype=np.uint8)
    put("npz", "stored.npz", npz(pos=rng.random((4, 3), dtype=np.float32), __meta__=meta))
    put("npz", "deflated.npz", npz(True, pos=rng.random((4, 2)), batch_idx=np.zeros(4, np.int64)))


def point_seeds():
    put("ply", "torus_cloud.ply", sample("torus_cloud.ply"))
    put("ply", "ascii_faces.ply", b"ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\n"
        b"property float y\nproperty float z\nproperty float p\nelement face 1\n"
        b"property list uchar int vertex_indices\nend_header\n0 0 0 1\n1 0 0 2\n0 1 0 3\n"
        b"0 0 1 4\n4 0 1 2 3\n")
    for fmt, order in (("binary_little_endian", "<"), ("binary_big_endian", ">")):
        header = (f"ply\nformat {fmt} 1.0\nelement vertex 3\nproperty double x\n"
                  "property double y\nproperty float z\nproperty uchar label\nelement face 1\n"
                  "property list uchar uint vertex_indices\nend_header\n").encode()
        body = b"".join(np.array([(i, i + 1, i + 2)], dtype=f"{order}f8,{order}f8,{order}f4")
                        .tobytes() + bytes([i]) for i in range(3))
        body += bytes([3]) + np.array([0, 1, 2], dtype=f"{order}u4").tobytes()
        put("ply", f"{fmt}.ply", header + body)
    put("point_text", "torus_cloud.xyz", sample("torus_cloud.xyz")[:2048].rsplit(b"\n", 1)[0])
    put("point_text", "torus_cloud.csv", sample("torus_cloud.csv")[:2048].rsplit(b"\n", 1)[0])
    put("point_text", "batches.csv", b"# two clouds\nx,y,batch_idx,t\n0,0,0,1\n1,0,0,2\n0,1,1,3\n")
    put("point_text", "planar.xyz", b"x y\n0.5 1e-3\n-2 3.25\n")


def state_dict():
    base = torch.arange(12, dtype=torch.float32)
    return collections.OrderedDict([
        ("embed.weight", base.view(3, 4)),
        ("embed.bias", base[4:8]),  # a view into the same storage at an offset
        ("norm.weight", torch.ones(2, dtype=torch.float64)),
        ("norm.num_batches_tracked", torch.tensor(3)),
        ("mask", torch.tensor([True, False])),
        ("half", torch.tensor([1.5, -2.0], dtype=torch.float16)),
        ("strided", torch.arange(6, dtype=torch.int32).view(2, 3).t()),
    ])


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)

    def forward(self, x):
        return self.linear(x)


def small_training_checkpoint(name, keep=3):
    """A published training checkpoint with its first `keep` weights only."""
    path = os.path.join(REFERENCE, name)
    if not os.path.exists(path):
        print(f"note: {path} missing, no training-checkpoint seed", file=sys.stderr)
        return None
    checkpoint = torch.load(path, weights_only=False)
    weights = checkpoint["model_state_dict"]
    checkpoint["model_state_dict"] = collections.OrderedDict(list(weights.items())[:keep])
    optimizer = checkpoint.get("optimizer_state_dict")
    if optimizer:
        optimizer["state"] = {k: v for k, v in optimizer["state"].items() if k < keep}
        for group in optimizer["param_groups"]:
            group["params"] = [p for p in group["params"] if p < keep]
    return torch_bytes(checkpoint)


def torch_seeds():
    put("torch_archive", "state_dict.pt", torch_bytes(state_dict()))
    config = {"c_in": 4, "c_hidden": [8], "ball_sizes": [2], "enc_num_heads": [1],
              "enc_depths": [1], "dec_num_heads": [], "dec_depths": [], "strides": [],
              "rotate": 0, "mlp_ratio": 2, "dimensionality": 3, "mp_steps": 0}
    put("torch_archive", "with_config.pt",
        torch_bytes({"model_state_dict": collections.OrderedDict(list(state_dict().items())[:2]),
                     "config": config}))
    scripted = io.BytesIO()
    torch.jit.save(torch.jit.script(Tiny()), scripted)
    put("torch_archive", "torchscript.pt", scripted.getvalue())
    for name in ("task_shapenet.training_checkpoint.pt", "task_eagle.training_checkpoint.pt"):
        data = small_training_checkpoint(name)
        if data:
            put("checkpoint", name.replace(".training_checkpoint.pt", ".ckpt"), data)
    put("checkpoint", "state_dict.pt", torch_bytes(state_dict()))
    put("checkpoint", "erwin_studio.ckpt", torch_bytes({
        "format": "erwin-studio-checkpoint", "version": 1,
        "config": MODEL_JSON.decode(),
        "model_state_dict": collections.OrderedDict(list(state_dict().items())[:2]),
        "extra": {"mean": torch.zeros(3)}}))
    points = torch.rand(5, 3) * 2 - 1
    for label, parts in (("car", (points, torch.rand(5) * 10 - 5)),
                         ("car_f64", (points.double(), torch.rand(5, dtype=torch.float64)))):
        put("shapenet", label, torch_bytes(parts[0]) + SEPARATOR + torch_bytes(parts[1]))


def dataset_seeds():
    rng = np.random.default_rng(1)
    steps, nodes = 2, 5
    sim = npz(pointcloud=rng.random((steps, nodes, 2), dtype=np.float32),
              VX=rng.random((steps, nodes), dtype=np.float32),
              VY=rng.random((steps, nodes), dtype=np.float32),
              PS=rng.random((steps, nodes), dtype=np.float32),
              PG=rng.random((steps, nodes), dtype=np.float32),
              mask=np.array([[0, 4, 6, 0, 1]] * steps, dtype=np.int64))
    triangles = np.array([[[0, 1, 2], [2, 3, 4]]] * steps, dtype=np.int64)
    put("eagle", "sim", sim + SEPARATOR + npy(triangles))
    put("eagle", "sim_int32", sim + SEPARATOR + npy(triangles.astype(np.int32)))
    ptype = h5({"particle_type": np.array([0, 1, 2, 1], dtype=np.int64)})
    bond = h5({"bond_indices": np.array([[0, 1], [1, 2], [2, 3]], dtype=np.int64)})
    position = h5({"position": rng.random((3, 4, 3), dtype=np.float32)})
    put("md", "trajectory", SEPARATOR.join([ptype, bond, position]))
    put("h5_export", "eagle.h5", h5(
        {"eagle/positions": rng.random((2, 3, 2), dtype=np.float32),
         "eagle/node_type": np.zeros((2, 3), np.int64),
         "eagle/triangles": np.array([[[0, 1, 2]]] * 2, dtype=np.int64),
         **{f"eagle/{kind}/{f}": rng.random((2, 3), dtype=np.float32)
            for kind in ("predicted", "truth", "error") for f in ("vx", "vy", "ps", "pg")},
         "eagle/rmse_velocity": np.zeros(2, np.float32),
         "eagle/rmse_pressure": np.zeros(2, np.float32)},
        {("/", "erwin_export_version"): np.int64(1), ("/eagle", "simulation"): np.int64(0),
         ("/eagle", "start"): np.int64(0), ("/eagle", "steps"): np.int64(1),
         ("/eagle", "checkpoint"): "run.ckpt"}))
    put("h5_export", "shapenet.h5", h5(
        {"shapenet/positions": rng.random((4, 3), dtype=np.float32),
         **{f"shapenet/{k}": rng.random(4, dtype=np.float32)
            for k in ("predicted", "truth", "error")}},
        {("/", "erwin_export_version"): np.int64(1), ("/shapenet", "car"): np.int64(3),
         ("/shapenet", "mse"): np.float64(0.5), ("/shapenet", "checkpoint"): ""}))


def text_seeds():
    for name in sorted(os.listdir(os.path.join(ROOT, "resources", "configs")))[:3]:
        with open(os.path.join(ROOT, "resources", "configs", name), "rb") as f:
            put("config", name, f.read())
    put("config", "model.json", MODEL_JSON)


def mesh_seeds():
    # First byte: the extension (fuzz_mesh.cpp: 0 .vtk, 1 .vtp, 2 .vtu, 3 .obj, 4 .stl).
    for index, name in enumerate(("ellipsoid.vtk", "ellipsoid.vtp", "plate_2d.vtu",
                                  "ellipsoid.obj")):
        put("mesh", name, bytes([index]) + sample(name))
    put("mesh", "triangle.stl", bytes([4]) + b"solid t\nfacet normal 0 0 1\nouter loop\n"
        b"vertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n")
    put("mesh", "binary.vtk", bytes([0]) + b"# vtk DataFile Version 4.2\nt\nBINARY\n"
        b"DATASET POLYDATA\nPOINTS 3 float\n" + np.array([0, 0, 0, 1, 0, 0, 0, 1, 0], ">f4")
        .tobytes() + b"\nPOLYGONS 1 4\n" + np.array([3, 0, 1, 2], ">i4").tobytes() + b"\n")


if __name__ == "__main__":
    if "--clean" in sys.argv:
        shutil.rmtree(CORPUS, ignore_errors=True)
    numpy_seeds()
    point_seeds()
    torch_seeds()
    dataset_seeds()
    text_seeds()
    mesh_seeds()
