"""Convolution and pooling layers (functional forms in :mod:`gradkit.nn.conv`).

Weights use torch's layout and torch's default initialization,
``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` for weight and bias.

>>> import numpy as np
>>> layer = Conv2d(1, 4, 3, padding=1, rng=0)
>>> layer
Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
>>> layer(np.zeros((2, 1, 8, 8))).shape, layer.num_parameters()
((2, 4, 8, 8), 40)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gradkit.nn import conv
from gradkit.nn.init import RNGLike, make_rng
from gradkit.nn.layers import Module, Params, _lookup

__all__ = [
    "Conv1d", "Conv2d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d", "AvgPool1d",
    "AvgPool2d", "AdaptiveAvgPool2d",
]  # fmt: skip


def _uniform(shape: tuple, fan_in: int, rng: Any) -> np.ndarray:
    bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
    return rng.uniform(-bound, bound, size=shape)


class _ConvNd(Module):
    spatial = 2
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        output_padding: Any = 0,
        rng: RNGLike = None,
    ) -> None:
        super().__init__()
        n = self.spatial
        self.in_channels, self.out_channels = (
            conv.as_tuple(in_channels, 1, "in_channels")[0],
            conv.as_tuple(out_channels, 1, "out_channels")[0],
        )
        self.groups = conv.as_tuple(groups, 1, "groups")[0]
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{type(self).__name__}: in_channels ({in_channels}) and out_channels "
                f"({out_channels}) must be divisible by groups ({groups})"
            )
        self.kernel_size = conv.as_tuple(kernel_size, n, "kernel_size")
        self.stride = conv.as_tuple(stride, n, "stride")
        self.dilation = conv.as_tuple(dilation, n, "dilation")
        self.padding = (
            padding if isinstance(padding, str) else conv.as_tuple(padding, n, "padding", 0)
        )
        if isinstance(padding, str) and (padding not in ("same", "valid") or self.transposed):
            raise ValueError(f"{type(self).__name__}: padding {padding!r} is not supported")
        self.output_padding = conv.as_tuple(output_padding, n, "output_padding", 0)
        self.bias = bool(bias)
        self._params = self.init_params(rng)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        shapes = {"weight": shape}
        if self.bias:
            shapes["bias"] = (self.out_channels,)
        return shapes

    def init_params(self, rng: RNGLike = None) -> Params:
        generator = make_rng(rng)
        shapes = self.param_shapes()
        fan_in = int(np.prod(shapes["weight"][1:]))
        params = {"weight": _uniform(shapes["weight"], fan_in, generator)}
        if self.bias:
            params["bias"] = _uniform(shapes["bias"], fan_in, generator)
        return params

    def forward(self, params: Params, x: Any) -> Any:
        weight = _lookup(params, "weight", self)
        bias = _lookup(params, "bias", self) if self.bias else None
        if self.transposed:
            return conv.conv_transpose2d(
                x,
                weight,
                bias,
                self.stride,
                self.padding,
                self.output_padding,
                self.groups,
                self.dilation,
            )
        fn = conv.conv1d if self.spatial == 1 else conv.conv2d
        return fn(x, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "in_channels": self.in_channels,
            "out_channels": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation": list(self.dilation),
            "groups": self.groups,
            "bias": self.bias,
        }
        if self.transposed:
            config["output_padding"] = list(self.output_padding)
        return config

    def __repr__(self) -> str:
        parts = [
            f"{self.in_channels}, {self.out_channels}",
            f"kernel_size={self.kernel_size}",
            f"stride={self.stride}",
        ]
        zero = (0,) * self.spatial
        if self.padding != zero:
            parts.append(f"padding={self.padding!r}")
        if self.dilation != (1,) * self.spatial:
            parts.append(f"dilation={self.dilation}")
        if self.transposed and self.output_padding != zero:
            parts.append(f"output_padding={self.output_padding}")
        if self.groups != 1:
            parts.append(f"groups={self.groups}")
        if not self.bias:
            parts.append("bias=False")
        return f"{type(self).__name__}({', '.join(parts)})"


class _Conv(_ConvNd):
    """The forward convolutions' constructor: torch's arguments (no output_padding)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        rng: RNGLike = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, rng=rng
        )


class Conv1d(_Conv):
    """A 1-d convolution layer, as ``torch.nn.Conv1d`` (input ``(N, C, L)``).

    >>> Conv1d(2, 3, 5, padding="same", rng=0)(np.ones((1, 2, 7))).shape
    (1, 3, 7)
    """

    spatial = 1


class Conv2d(_Conv):
    """A 2-d convolution layer, as ``torch.nn.Conv2d`` (input ``(N, C, H, W)``).

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: an int or a pair.
        stride: an int or a pair.
        padding: an int, a pair, ``'same'`` or ``'valid'`` (zero padding only).
        dilation: an int or a pair.
        groups: split the channels into this many independent convolutions.
        bias: whether to add a learned bias.
        rng: seed or generator for the initial weights.

    >>> Conv2d(3, 6, (3, 5), stride=2, groups=3, bias=False)
    Conv2d(3, 6, kernel_size=(3, 5), stride=(2, 2), groups=3, bias=False)
    """


class ConvTranspose2d(_ConvNd):
    """A transposed 2-d convolution layer, as ``torch.nn.ConvTranspose2d``.

    >>> ConvTranspose2d(4, 2, 2, stride=2, rng=0)(np.ones((1, 4, 3, 3))).shape
    (1, 2, 6, 6)
    """

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        rng: RNGLike = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            output_padding,
            rng=rng,
        )


class _Pool(Module):
    spatial = 2
    kind = "max"

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1
    ) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = (
            kernel_size,
            kernel_size if stride is None else stride,
            padding,
            dilation,
        )
        conv.as_tuple(kernel_size, self.spatial, "kernel_size")  # check now, not at the call

    def forward(self, params: Params, x: Any) -> Any:
        if self.kind == "max":
            fn = conv.max_pool1d if self.spatial == 1 else conv.max_pool2d
            return fn(x, self.kernel_size, self.stride, self.padding, self.dilation)
        fn = conv.avg_pool1d if self.spatial == 1 else conv.avg_pool2d
        return fn(x, self.kernel_size, self.stride, self.padding)

    def config(self) -> dict[str, Any]:
        config = {"kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding}
        if self.kind == "max":
            config["dilation"] = self.dilation
        return config

    def __repr__(self) -> str:
        text = ", ".join(f"{k}={v}" for k, v in self.config().items())
        return f"{type(self).__name__}({text}" + (
            ", ceil_mode=False)" if self.kind == "max" else ")"
        )


class MaxPool1d(_Pool):
    """Max pooling over ``(N, C, L)``, as ``torch.nn.MaxPool1d``.

    >>> MaxPool1d(2)(np.array([[[1.0, 2.0, 5.0, 3.0]]]))
    array([[[2., 5.]]])
    """

    spatial = 1


class MaxPool2d(_Pool):
    """Max pooling over ``(N, C, H, W)``, as ``torch.nn.MaxPool2d``.

    >>> MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    """


class AvgPool1d(_Pool):
    """Average pooling over ``(N, C, L)``, as ``torch.nn.AvgPool1d``.

    >>> AvgPool1d(2)(np.array([[[1.0, 2.0, 5.0, 3.0]]]))
    array([[[1.5, 4. ]]])
    """

    spatial = 1
    kind = "avg"

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__(kernel_size, stride, padding)


class AvgPool2d(_Pool):
    """Average pooling over ``(N, C, H, W)``, as ``torch.nn.AvgPool2d``.

    >>> AvgPool2d(2)
    AvgPool2d(kernel_size=2, stride=2, padding=0)
    """

    kind = "avg"

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__(kernel_size, stride, padding)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size, as ``torch.nn.AdaptiveAvgPool2d``.

    >>> AdaptiveAvgPool2d(1)(np.ones((2, 3, 5, 4))).shape
    (2, 3, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, params: Params, x: Any) -> Any:
        return conv.adaptive_avg_pool2d(x, self.output_size)

    def config(self) -> dict[str, Any]:
        return {"output_size": self.output_size}

    def __repr__(self) -> str:
        size = self.output_size
        return f"AdaptiveAvgPool2d(output_size={tuple(size) if isinstance(size, list) else size})"
