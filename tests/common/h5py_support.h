#pragma once
// HDF5 files written by h5py (the .venv's, as a researcher's script would write them), for the
// tests of the project's HDF5 readers.
#include <QString>
#include <QStringList>

#include "process_support.h"

namespace erwin::test {

// String attribute kinds rewrite_with_h5py can write: h5py's default for `attrs[k] = "text"`
// (variable-length UTF-8), variable-length ASCII (`attrs[k] = b"text"`), fixed-length ASCII
// (np.bytes_), fixed-length UTF-8, and fixed-length space-padded (as Fortran writes them).
inline const QStringList kH5pyStringKinds = {"default", "vlen-ascii", "fixed-ascii", "fixed-utf8",
                                             "fixed-spacepad"};

// Rewrites `source` into `target` with h5py: every group and dataset (gzip-compressed, chunked),
// numeric attributes as Python numbers (h5py stores int64 / float64), string attributes as
// `strings` (one of kH5pyStringKinds); then runs the Python statements `edit` with the open
// target as `f` (and `np`, `h5py`).
inline Run rewrite_with_h5py(const QString& source, const QString& target, const QString& strings,
                             const QString& edit = {}) {
  static const QString script = R"py(
import sys
import h5py
import numpy as np

source, target, strings, edit = sys.argv[1:5]


def write_string(obj, name, text):
    if strings == "default":
        obj.attrs[name] = text
    elif strings == "vlen-ascii":
        obj.attrs[name] = text.encode("ascii")
    elif strings == "fixed-ascii":
        obj.attrs[name] = np.bytes_(text.encode("ascii"))
    elif strings == "fixed-utf8":
        data = text.encode()
        obj.attrs.create(name, data, dtype=h5py.string_dtype("utf-8", len(data) + 3))
    elif strings == "fixed-spacepad":
        data = text.encode().ljust(len(text.encode()) + 4)
        string_type = h5py.h5t.C_S1.copy()
        string_type.set_size(len(data))
        string_type.set_strpad(h5py.h5t.STR_SPACEPAD)
        attribute = h5py.h5a.create(obj.id, name.encode(), string_type,
                                    h5py.h5s.create(h5py.h5s.SCALAR))
        attribute.write(np.array(data, dtype=f"S{len(data)}"), mtype=string_type)
    else:
        raise SystemExit("unknown string kind " + strings)


def copy_attributes(source_object, target_object):
    for key, value in source_object.attrs.items():
        if isinstance(value, (str, bytes)):
            write_string(target_object, key, value if isinstance(value, str) else value.decode())
        else:
            target_object.attrs[key] = value.item()


with h5py.File(source, "r") as src, h5py.File(target, "w") as dst:
    copy_attributes(src, dst)

    def copy(name, obj):
        if isinstance(obj, h5py.Dataset):
            dst.create_dataset(name, data=obj[()], compression="gzip", shuffle=True)
        else:
            dst.require_group(name)
        copy_attributes(obj, dst[name])

    src.visititems(copy)
    exec(edit, {"f": dst, "np": np, "h5py": h5py})
)py";
  return run_python(script, {source, target, strings, edit});
}

}  // namespace erwin::test
