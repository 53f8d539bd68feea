"""NCCL collectives on GPU tensors, through CuPy's NCCL bindings (the 'nccl' backend).

Only the collectives that data-parallel training leans on run here (all_reduce, broadcast,
all_gather_into_tensor, reduce_scatter_tensor); the others stage GPU tensors through host
memory and MPI. The communicator is created on first use, from a unique id that rank 0 sends
to the others over MPI. Work on the current CuPy stream is waited for with an event, polled
against the group's timeout like the MPI requests (NOTE [collectives with deadlines]).
"""

from __future__ import annotations

from .. import backend as _backend
from .distributed_c10d import ReduceOp, Work, _start_work


class NcclComm:
    """One NCCL communicator for a process group."""

    def __init__(self, pg, broadcast_object_list):
        self.nccl = nccl = _backend.cuda.nccl()
        self.xp = _backend.cuda.xp
        uid = [nccl.get_unique_id() if pg.rank() == 0 else None]
        broadcast_object_list(uid, group=pg, group_src=0)
        self.pg = pg
        self.comm = nccl.NcclCommunicator(pg.size(), uid[0], pg.rank())

    def _dtype(self, a):
        names = {
            "int8": "INT8",
            "uint8": "UINT8",
            "bool": "UINT8",
            "int32": "INT32",
            "uint32": "UINT32",
            "int64": "INT64",
            "uint64": "UINT64",
            "float16": "FLOAT16",
            "float32": "FLOAT32",
            "float64": "FLOAT64",
            "bfloat16": "BFLOAT16",
        }
        name = names.get(a.dtype.name)
        if name is None:
            raise TypeError(f"the nccl backend does not support dtype {a.dtype}")
        return getattr(self.nccl, f"NCCL_{name}")

    def _op(self, op, a):
        n = self.nccl
        if a.dtype.kind == "b":  # bools as bytes: sum/max are 'or', product/min are 'and'
            ops = {
                ReduceOp.SUM: n.NCCL_MAX,
                ReduceOp.MAX: n.NCCL_MAX,
                ReduceOp.PRODUCT: n.NCCL_MIN,
                ReduceOp.MIN: n.NCCL_MIN,
            }
        else:
            ops = {
                ReduceOp.SUM: n.NCCL_SUM,
                ReduceOp.PRODUCT: n.NCCL_PROD,
                ReduceOp.MIN: n.NCCL_MIN,
                ReduceOp.MAX: n.NCCL_MAX,
                ReduceOp.AVG: getattr(n, "NCCL_AVG", None),
            }
        code = ops.get(op)
        if code is None:
            raise ValueError(f"the nccl backend does not support {op} on {a.dtype}")
        return code

    def _run(self, launch, outputs, what, async_op, result):
        """Run ``launch(stream_ptr)``; copy staged outputs back when done."""
        stream = self.xp.cuda.get_current_stream()
        launch(stream.ptr)
        event = self.xp.cuda.Event(disable_timing=True)
        event.record(stream)

        def finish():
            for t, buf in outputs:
                if buf is not t._data:
                    t._data[...] = buf.reshape(t._data.shape)
                t._bump()
            return result

        return _start_work(Work(lambda: event.done, finish, self.pg, what), async_op)

    def _flat(self, t):
        a = t._data
        return a if a.flags.c_contiguous else self.xp.ascontiguousarray(a)

    def all_reduce(self, tensor, op, async_op):
        a = self._flat(tensor)
        dt, code = self._dtype(a), self._op(op, a)
        return self._run(
            lambda s: self.comm.allReduce(a.data.ptr, a.data.ptr, a.size, dt, code, s),
            [(tensor, a)],
            "all_reduce",
            async_op,
            tensor,
        )

    def broadcast(self, tensor, root, async_op):
        a = self._flat(tensor)
        dt = self._dtype(a)
        return self._run(
            lambda s: self.comm.bcast(a.data.ptr, a.size, dt, root, s),
            [(tensor, a)],
            "broadcast",
            async_op,
            tensor,
        )

    def all_gather_into_tensor(self, output, input, async_op):
        a, out = self._flat(input), self._flat(output)
        dt = self._dtype(a)
        return self._run(
            lambda s: self.comm.allGather(a.data.ptr, out.data.ptr, a.size, dt, s),
            [(output, out)],
            "all_gather_into_tensor",
            async_op,
            output,
        )

    def reduce_scatter_tensor(self, output, input, op, async_op):
        a, out = self._flat(input), self._flat(output)
        dt, code = self._dtype(a), self._op(op, a)
        return self._run(
            lambda s: self.comm.reduceScatter(a.data.ptr, out.data.ptr, out.size, dt, code, s),
            [(output, out)],
            "reduce_scatter_tensor",
            async_op,
            output,
        )
