"""A guarded NumPy: an array namespace that is not NumPy, to prove model code only uses ``xp``.

Model code must compute through ``xp = namespace(array)`` so that the same lines run on CuPy.
A stray ``numpy.exp(hidden)`` (or ``numpy.asarray(hidden)``, or mixing a host array into device
math) works on NumPy and breaks on a GPU. Without a GPU, this module catches it on the CPU:

- ``GuardedArray`` wraps a NumPy array. Its operators, methods and attributes work as on a NumPy
  (or CuPy) array, but any NumPy function that receives one raises ``StrayNumpyCall`` - through
  ``__array_function__`` / ``__array_ufunc__`` for ``numpy.concatenate``, ``numpy.exp``, ...
  and through ``__array__`` for ``numpy.asarray`` and implicit conversion. This is how CuPy
  refuses implicit conversion to host arrays, made stricter.
- ``xp`` is the namespace handed to model code: every NumPy function behind it unwraps its
  arguments, calls NumPy, and wraps the results. Like CuPy, reductions and scalar indexing give
  0-d arrays, not NumPy scalars.

``install()`` registers the backend under the name ``"guarded"`` (``model.to("guarded")``);
tests/test_guarded_namespace.py runs the parity tests through it.
"""

from __future__ import annotations

import operator
import types

import numpy

from xlmr_np import backend

NAME = "guarded"


class StrayNumpyCall(TypeError):
    """Model code handed a backend array to NumPy directly instead of going through ``xp``."""


def unwrap(value):
    """Replace GuardedArrays (also inside tuples, lists and dicts) by their NumPy arrays."""
    if isinstance(value, GuardedArray):
        return value._data
    if isinstance(value, tuple):
        return tuple(unwrap(item) for item in value)
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    return value


def wrap(value):
    """Wrap NumPy arrays and NumPy scalars (as 0-d arrays, as CuPy returns them) in results."""
    if isinstance(value, numpy.ndarray):
        return GuardedArray(value)
    if isinstance(value, numpy.generic):
        return GuardedArray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(item) for item in value)
    if isinstance(value, list):
        return [wrap(item) for item in value]
    return value


def _binary(name):
    function = getattr(operator, name)

    def method(self, other):
        return wrap(function(self._data, unwrap(other)))

    method.__name__ = f"__{name.rstrip('_')}__"
    return method


def _reflected(name):
    function = getattr(operator, name)

    def method(self, other):
        return wrap(function(unwrap(other), self._data))

    method.__name__ = f"__r{name.rstrip('_')}__"
    return method


def _in_place(name):
    function = getattr(operator, f"i{name.rstrip('_')}")

    def method(self, other):
        self._data = function(self._data, unwrap(other))
        return self

    method.__name__ = f"__i{name.rstrip('_')}__"
    return method


class GuardedArray:
    """A NumPy array that NumPy functions refuse: only operators, methods and ``xp`` work."""

    __slots__ = ("_data",)

    def __init__(self, data: numpy.ndarray):
        self._data = data

    # NumPy entry points: each one means model code called NumPy directly.
    def __array__(self, *args, **kwargs):
        raise StrayNumpyCall("a guarded array was converted to a NumPy array (numpy.asarray or "
                             "implicit conversion); model code must stay on its backend")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and any(isinstance(item, numpy.generic) for item in inputs):
            # ``numpy.float32(2.0) * array``: a NumPy scalar's operator defers here. CuPy takes
            # NumPy scalars too (``xp.float32`` is ``numpy.float32`` on both backends).
            return wrap(ufunc(*unwrap(inputs)))
        raise StrayNumpyCall(f"numpy.{ufunc.__name__} was called on a guarded array; use xp.{ufunc.__name__}")

    def __array_function__(self, function, types_, args, kwargs):
        raise StrayNumpyCall(f"numpy.{function.__name__} was called on a guarded array; "
                             f"use xp.{function.__name__}")

    # Attributes and methods: delegated, results wrapped.
    def __getattr__(self, name):
        if name.startswith("__"):  # __array_interface__, __dlpack__, ...: ways into NumPy
            raise AttributeError(name)
        value = getattr(self._data, name)
        if callable(value):
            def method(*args, **kwargs):
                return wrap(value(*unwrap(args), **unwrap(kwargs)))

            method.__name__ = name
            return method
        return wrap(value)

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    def __getitem__(self, index):
        return wrap(self._data[unwrap(index)])

    def __setitem__(self, index, value):
        self._data[unwrap(index)] = unwrap(value)

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return (wrap(row) for row in self._data)

    def __bool__(self):
        return bool(self._data)

    def __float__(self):
        return float(self._data)

    def __int__(self):
        return int(self._data)

    def __index__(self):
        return operator.index(self._data)

    def __repr__(self):
        return f"GuardedArray({self._data!r})"

    def __neg__(self):
        return wrap(-self._data)

    def __pos__(self):
        return wrap(+self._data)

    def __abs__(self):
        return wrap(abs(self._data))

    def __invert__(self):
        return wrap(~self._data)

    __hash__ = None


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_", "xor",
              "lshift", "rshift"):
    _dunder = _name.rstrip("_")
    setattr(GuardedArray, f"__{_dunder}__", _binary(_name))
    setattr(GuardedArray, f"__r{_dunder}__", _reflected(_name))
    setattr(GuardedArray, f"__i{_dunder}__", _in_place(_name))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(GuardedArray, f"__{_name}__", _binary(_name))


class GuardedNamespace(types.ModuleType):
    """``xp`` for guarded arrays: NumPy's functions with arguments unwrapped and results wrapped.

    Types (``xp.float32``, ``xp.finfo``) and constants pass through unchanged, as they do on CuPy.
    """

    def __init__(self, module=numpy, name="guarded_numpy"):
        super().__init__(name)
        self._module = module

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if isinstance(value, types.ModuleType):
            return GuardedNamespace(value, f"{self.__name__}.{name}")
        if isinstance(value, type) or not callable(value):
            return value

        def function(*args, **kwargs):
            return wrap(value(*unwrap(args), **unwrap(kwargs)))

        function.__name__ = name
        return function


xp = GuardedNamespace()


def from_host(array: numpy.ndarray, dtype=None) -> GuardedArray:
    """Move a host array onto the guarded backend (a copy, as a move to a GPU would be)."""
    return GuardedArray(numpy.array(array, dtype=dtype, copy=True))


def to_host(array: GuardedArray) -> numpy.ndarray:
    return numpy.array(array._data, copy=True)


def install() -> str:
    """Register the guarded backend (idempotent) and return its name."""
    backend.register_backend(NAME, xp, GuardedArray, from_host, to_host)
    return NAME
