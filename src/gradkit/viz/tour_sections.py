r"""The sections of the tour, in the tutorial's order.

Each section is a pair: a function whose docstring is the section's introduction (TeX
between ``$...$`` or ``$$...$$`` is typeset on the page) and whose body is a standalone
snippet -- shown on the page as it is, and run as it is, in a fresh namespace, so a reader
can paste it into Python -- and a ``present`` function that turns the snippet's variables
into the page's tables, figures and interactive pictures. The snippets never see the page.

>>> [section.key for section in SECTIONS][:3]
['derivative', 'step-size', 'symbolic']
"""

# The snippets' variables are read by the present functions, through the namespace the
# snippet ran in, so a figure assigned and "never used" in a snippet is not unused.
# ruff: noqa: F841

from __future__ import annotations

from typing import Any

from gradkit.viz import tour_interactive as live
from gradkit.viz.tour import Report, Section

Namespace = dict[str, Any]


def derivative() -> None:
    r"""The derivative is the slope of the tangent line, the instantaneous rate of change:

    $$f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}.$$

    The tutorial estimates it with a forward difference and $h = 10^{-7}$ and compares
    with the analytical $2x$ for $f(x) = x^2$. gradkit adds an accurate numerical
    derivative (central differences with Richardson extrapolation) and automatic
    differentiation, which is exact to rounding. Move the point along the curve below:
    the tangent line and the derivative gk.grad computed there follow it.
    """
    import gradkit as gk

    def f(x):
        return x**2

    for x in [0.0, 1.0, 2.0]:
        forward = (f(x + 1e-7) - f(x)) / 1e-7  # the tutorial's estimate
        numerical = gk.numerical.derivative(f, x)
        automatic = gk.grad(f)(x)
        print(
            f"x = {x}: forward {forward:.10f}, numerical {float(numerical):.10f}, "
            f"grad {float(automatic)}, exact {2 * x}"
        )


def present_derivative(ns: Namespace, report: Report) -> None:
    import gradkit as gk

    f = ns["f"]
    rows = []
    for x in [0.0, 1.0, 2.0]:
        rows.append(
            [
                x,
                (f(x + 1e-7) - f(x)) / 1e-7,
                float(gk.numerical.derivative(f, x)),
                float(gk.grad(f)(x)),
                2 * x,
            ]
        )
    report.table(
        "f(x) = x²: numerical against analytical derivatives",
        ["x", "forward, h = 1e-7", "gk.numerical.derivative", "gk.grad", "analytical 2x"],
        rows,
    )
    report.widget(
        "tangent",
        live.tangent_data(lambda x: x**3 / 3 - x, (-2.5, 2.5), "x³/3 − x"),
        "Drag the slider: the point on $f(x) = x^3/3 - x$, its tangent line, and "
        "$f'(x) = x^2 - 1$ from gk.grad",
    )


def step_size() -> None:
    r"""Why $h = 10^{-7}$? A finite difference has two errors: truncation, which shrinks
    with $h$ (like $h$ for the forward difference, $h^2$ for the central one), and
    rounding, which grows like $\varepsilon / h$ ($\varepsilon \approx 2.2 \cdot 10^{-16}$
    is machine epsilon). Their sum is a V on a log-log plot:

    $$\left|\frac{f(x+h) - f(x)}{h} - f'(x)\right| \approx \frac{h}{2}|f''(x)| +
    \frac{2\varepsilon |f(x)|}{h}.$$

    $h = 10^{-7}$ sits near the bottom of the forward difference's V: about 8 correct
    digits, the most a forward difference can give. A central difference does better, and
    gradkit's default (Richardson extrapolation) reaches machine precision. Slide $h$ along
    the V below (every point was computed by gk.numerical when the page was written).
    """
    import numpy as np

    import gradkit as gk

    x, exact = 1.0, np.cos(1.0)
    for h in [1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11]:
        forward = gk.numerical.derivative(np.sin, x, method="forward", step=h)
        central = gk.numerical.derivative(np.sin, x, method="central", step=h)
        print(
            f"h = {h:.0e}: forward error {abs(forward - exact):.1e}, "
            f"central error {abs(central - exact):.1e}"
        )
    curve = gk.numerical.step_error(np.sin, np.cos, x)
    print("best steps:", {m: f"{s:.0e}" for m, s in curve.best_step.items()})


def present_step_size(ns: Namespace, report: Report) -> None:
    import numpy as np

    import gradkit as gk

    x, exact = ns["x"], ns["exact"]
    rows = []
    for h in [1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11]:
        forward = gk.numerical.derivative(np.sin, x, method="forward", step=h)
        central = gk.numerical.derivative(np.sin, x, method="central", step=h)
        rows.append([f"{h:.0e}", f"{abs(forward - exact):.1e}", f"{abs(central - exact):.1e}"])
    best = gk.numerical.derivative(np.sin, x)
    rows.append(["gradkit default", "", f"{abs(best - exact):.1e}"])
    report.table(
        "Error of d/dx sin(x) at x = 1 against the step h",
        ["step h", "forward error", "central error"],
        rows,
    )
    curve = ns["curve"]
    report.table(
        "The bottom of each V (gk.numerical.step_error)",
        ["method", "best step", "error at the best step"],
        [[m, f"{curve.best_step[m]:.1e}", f"{curve.best_error[m]:.1e}"] for m in curve.best_step],
    )
    report.text(
        f"The tutorial's $h = 10^{{-7}}$ forward difference is one point on the forward "
        f"V: error {curve.tutorial_error:.1e}. The complex step, "
        f"$\\operatorname{{Im}} f(x + ih) / h$, has no subtraction and so no rounding "
        f"error."
    )
    report.widget(
        "step",
        live.step_data(),
        "Slide $h$: the error of each difference "
        "quotient of $\\sin$ at $x = 1$ (log-log), truncation falling and rounding "
        "rising",
    )


def symbolic() -> None:
    r"""The tutorial lists the rules -- power, exponential, logarithm, trigonometric,
    product, quotient, chain -- and then calls sympy.diff, which gives the answer but not
    the reasoning. gk.symbolic.derive names the rule used at every step, as a student
    would write it out. Text is read by a safe parser: it is never evaluated as Python.
    """
    import gradkit as gk

    for text in ["x**3", "exp(x)", "sin(x)", "log(x)", "x**2 * sin(x)", "sigmoid(x)"]:
        d = gk.symbolic.derive(text, "x")
        print(f"d/dx {text} = {d.result}    ({', '.join(d.rules)})")
    product = gk.symbolic.derive("x**2 * sin(x)", "x")
    print(product.to_text())


def present_symbolic(ns: Namespace, report: Report) -> None:
    import sympy

    import gradkit as gk

    rows = []
    for text in ["x**3", "exp(x)", "sin(x)", "log(x)", "x**2 * sin(x)", "sigmoid(x)"]:
        d = gk.symbolic.derive(text, "x")
        expr = d.expression if hasattr(d, "expression") else sympy.sympify(text)
        rows.append(
            [
                live.Math(r"\frac{d}{dx}\left(" + sympy.latex(expr) + r"\right)"),
                live.Math(sympy.latex(d.result)),
                ", ".join(d.rules),
            ]
        )
    report.table(
        "The tutorial's derivatives (and the sigmoid)",
        ["expression", "derivative", "rules used"],
        rows,
    )
    for caption, text in [
        ("d/dx [x² sin(x)], step by step", "x**2 * sin(x)"),
        ("d/dx exp(−x²/2): the chain rule", "exp(-x**2 / 2)"),
    ]:
        report.steps(caption, live.derivation_steps(gk.symbolic.derive(text, "x")))


def partial_derivatives() -> None:
    r"""For $f(x, y)$ the partial derivative $\partial f / \partial x$ measures how $f$
    changes when only $x$ moves, $y$ held fixed. The tutorial's example is
    $f(x, y) = x^2 + y^2$ at $(1, 2)$, where

    $$\frac{\partial f}{\partial x} = 2x = 2, \qquad \frac{\partial f}{\partial y} = 2y = 4.$$

    A partial derivative is the slope of a slice of the surface through the point.
    """
    import numpy as np

    import gradkit as gk

    def f(p):
        return p[0] ** 2 + p[1] ** 2

    point = np.array([1.0, 2.0])
    numerical = gk.numerical.gradient(f, point)
    automatic = gk.grad(f)(point)
    print("numerical:", numerical, " gk.grad:", automatic, " exact: [2. 4.]")
    fig = gk.viz.plot_partial_derivatives(f, point)


def present_partial(ns: Namespace, report: Report) -> None:
    point, numerical, automatic = ns["point"], ns["numerical"], ns["automatic"]
    report.table(
        "f(x, y) = x² + y² at (1, 2)",
        ["partial", "numerical", "gk.grad", "analytical"],
        [
            [live.Math(r"\partial f/\partial x"), numerical[0], automatic[0], 2 * point[0]],
            [live.Math(r"\partial f/\partial y"), numerical[1], automatic[1], 2 * point[1]],
        ],
    )
    report.figure(
        "surface",
        live.readable(ns["fig"]),
        "The surface, its contours with gradient arrows, and the slice y = 2",
    )


def gradient() -> None:
    r"""The gradient $\nabla f$ collects the partial derivatives; it points uphill, the
    direction of steepest ascent. The directional derivative in the direction of a unit
    vector $u$ is

    $$D_u f = \nabla f \cdot u,$$

    largest along the gradient, zero across it. gradkit computes it as a Jacobian-vector
    product, without forming the gradient. Turn the direction below and watch
    $D_u f$ follow $|\nabla f| \cos\theta$.
    """
    import numpy as np

    import gradkit as gk

    def f(p):
        return p[0] ** 2 + p[1] ** 2

    point = np.array([1.0, 1.0])
    print("gradient at (1, 1):", gk.grad(f)(point))
    for direction in [(1, 0), (0, 1), (1, 1), (1, -1)]:
        u = np.array(direction, dtype=float)
        print(
            direction,
            float(gk.directional_derivative(f, point, u)),
            float(gk.numerical.directional_derivative(f, point, u)),
        )


def present_gradient(ns: Namespace, report: Report) -> None:
    import numpy as np

    import gradkit as gk

    f, point = ns["f"], ns["point"]
    rows = []
    for direction in [(1, 0), (0, 1), (1, 1), (1, -1)]:
        u = np.array(direction, dtype=float)
        exact = 2 * point @ (u / np.linalg.norm(u))
        rows.append(
            [
                str(direction),
                float(gk.directional_derivative(f, point, u)),
                float(gk.numerical.directional_derivative(f, point, u)),
                exact,
            ]
        )
    report.text(f"The gradient at (1, 1) is {gk.grad(f)(point).tolist()} (analytical: [2, 2]).")
    report.table(
        "Directional derivatives of x² + y² at (1, 1)",
        ["direction u", "gk.directional_derivative", "numerical", "analytical"],
        rows,
    )
    report.widget(
        "direction",
        live.direction_data(
            lambda p: p[0] ** 2 + 0.5 * p[1] ** 2 + 0.3 * p[0] * p[1],
            (1.0, 1.0),
            "x² + y²/2 + 0.3xy",
        ),
        "Turn $u$: the gradient arrow (black), the direction $u$ (orange) and $D_u f$ from "
        "gk.directional_derivative, on $f(x, y) = x^2 + y^2/2 + 0.3xy$ at $(1, 1)$",
    )


def backpropagation() -> None:
    r"""The chain rule,

    $$\frac{d}{dx} f(g(x)) = f'(g(x))\, g'(x),$$

    applied from the output back to every input, is backpropagation. Step through the
    computational graph of $\sigma(w x + b)$ below: forward, each node's value; backward,
    each edge's local derivative and the gradient of the output with respect to each
    node. Then the tutorial's network (2 inputs, 4 sigmoid hidden units, 1 sigmoid output)
    trains on its 100 points with its hand-written backward pass -- whose
    $dz_2 = a_2 - y$ is the gradient of binary cross-entropy, not of the MSE it prints --
    and gk.grad of that cross-entropy gives the same gradients. Finally the same network,
    built from layers, is trained by gk.nn.fit with automatic gradients.
    """
    import numpy as np

    import gradkit as gk
    from gradkit.autodiff.graph import trace_graph

    def neuron(w, x, b):
        return gk.nn.sigmoid(w * x + b)

    graph = trace_graph(neuron, 0.5, 2.0, -1.0)
    for node in graph.nodes:
        print(f"{node.label:>8}: value {float(node.value):.4g}, gradient {float(node.grad):.4g}")

    X, y = gk.nn.datasets.tutorial_data()
    net = gk.nn.SimpleNeuralNetwork(input_size=2, hidden_size=4, output_size=1, rng=0)
    hand = net.gradients(X, y)
    auto = gk.grad(net.objective)(net.params, X, y)
    for name in ["W1", "b1", "W2", "b2"]:
        print(name, "max |hand - autodiff| =", np.max(np.abs(hand[name] - auto[name])))
    losses = net.train(X, y, epochs=1000, learning_rate=0.1)
    print(f"MSE {losses[-1]:.4f}, accuracy {net.accuracy(X, y):.0%}")

    model = gk.nn.tutorial_model(rng=0)  # the same network from layers, gradients by gk.grad
    history = gk.nn.fit(
        model,
        X,
        y,
        loss="binary_cross_entropy",
        optimizer=gk.optim.sgd(0.5),
        epochs=300,
        batch_size=None,
        verbose=False,
    )
    print(f"gk.nn.fit: cross-entropy {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.0%}")


def present_backprop(ns: Namespace, report: Report) -> None:
    import numpy as np

    import gradkit as gk

    report.widget(
        "graph",
        live.graph_data(ns["graph"], ns["neuron"]),
        "$\\sigma(w x + b)$ at $w = 0.5$, $x = 2$, $b = -1$: step forward, then backward",
    )
    hand, auto = ns["hand"], ns["auto"]
    report.table(
        "Hand-written backpropagation against gk.grad (at the initial weights)",
        ["parameter", "shape", "max |hand - autodiff|"],
        [
            [n, str(hand[n].shape), f"{np.max(np.abs(hand[n] - auto[n])):.1e}"]
            for n in ["W1", "b1", "W2", "b2"]
        ],
    )
    net, X, y, losses = ns["net"], ns["X"], ns["y"], ns["losses"]
    report.text(
        f"After 1000 epochs (learning rate 0.1): MSE {losses[-1]:.4f}, training "
        f"accuracy {net.accuracy(X, y):.0%}."
    )
    predictions = net.forward(np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]))
    report.table(
        "The tutorial's test inputs",
        ["input", "prediction"],
        [
            ["(1, 1)", predictions[0, 0]],
            ["(-1, -1)", predictions[1, 0]],
            ["(1, -1)", predictions[2, 0]],
        ],
    )
    report.widget(
        "boundary",
        live.boundary_data(X, y),
        "The tutorial network's decision boundary (p = 0.5) as it trains: slide through the epochs",
    )
    history = ns["history"]
    report.text(
        f"Built from layers and trained by gk.nn.fit (300 full-batch steps, lr 0.5): "
        f"cross-entropy {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.0%}."
    )
    report.figure(
        "fit",
        live.readable(gk.viz.plot_training_history(history)),
        "gk.nn.fit on the tutorial's data: loss and accuracy per epoch",
    )


def optimization() -> None:
    r"""Gradient descent steps against the gradient, $\theta \leftarrow \theta - \alpha
    \nabla L(\theta)$. The tutorial's momentum keeps a running average of the gradients
    and steps along it,

    $$v \leftarrow \beta v + (1 - \beta)\nabla L, \qquad \theta \leftarrow \theta - \alpha v,$$

    and SGD uses the gradient of a random minibatch. The tutorial races gradient descent
    and momentum from $(-1.5, -1.5)$ on the Rosenbrock function with $\alpha = 10^{-4}$ for
    1000 steps; gradkit reruns that race exactly and adds Nesterov, RMSprop and Adam, then
    a fair race and minibatch SGD with three batch sizes.
    """
    import numpy as np

    import gradkit as gk

    race = gk.optim.race(gk.functions.rosenbrock, x0=(-1.5, -1.5), steps=1000)
    print(race.table())
    fair = gk.optim.race(
        gk.functions.rosenbrock, x0=(-1.5, -1.5), steps=1000, racers=gk.optim.fair_racers()
    )
    print(fair.table())

    # SGD: the same rule on the gradient of a random minibatch, fitting y = 3x + 1
    rng = np.random.default_rng(0)
    xs = rng.uniform(-1, 1, 256)
    ys = 3 * xs + 1 + 0.1 * rng.standard_normal(256)

    def line_loss(w, x, y):
        return np.mean((w[0] * x + w[1] - y) ** 2)

    runs = {
        size: gk.optim.minibatch_sgd(
            line_loss, np.zeros(2), (xs, ys), 0.1, batch_size=size, epochs=10, seed=0
        )
        for size in [256, 32, 4]
    }
    for size, run in runs.items():
        print(f"batch size {size}: slope {run.params[0]:.3f}, intercept {run.params[1]:.3f}")


def present_optimization(ns: Namespace, report: Report) -> None:
    import gradkit as gk

    def race_rows(race):
        return [
            [
                r["optimizer"],
                r["settings"],
                r["final_value"],
                r["distance"],
                r["steps_to_tol"] or "not reached",
            ]
            for r in race.rows()
        ]

    header = ["optimizer", "settings", "final f", "distance to (1, 1)", "steps to tol"]
    report.table(
        "The optimizer race on Rosenbrock, 1000 steps from (-1.5, -1.5)",
        header,
        race_rows(ns["race"]),
    )
    report.widget(
        "race",
        live.race_data(),
        "Set the learning rate $\\alpha$ and the momentum $\\beta$: the four "
        "optimizers re-run 1000 steps on Rosenbrock in the page",
    )
    report.text(
        "That first race is not fair: gradient descent and the tutorial's momentum "
        "keep the tutorial's $\\alpha = 10^{-4}$, while Nesterov, RMSprop and Adam run "
        "at rates tuned for this problem. Below, every optimizer gets the best of the "
        "same ten rates ($10^{-5}$ to 0.3 in half-decades, the lowest final $f$ after "
        "1000 steps; gk.optim.tuned_racers re-runs the search). The tutorial's "
        "momentum, $v \\leftarrow 0.9v + 0.1\\nabla L$, is PyTorch's "
        "$v \\leftarrow 0.9v + \\nabla L$ with the rate divided by 10: tuned, the two "
        "tie exactly, so its deficit above was the step size. Nesterov evaluates the "
        "momentum step from where the velocity is about to take the point (in "
        "PyTorch's form it steps along $\\nabla L + 0.9v$ instead of $v$), which "
        "damps overshoot; on this valley its best rate is small and it trails plain "
        "momentum."
    )
    report.table(
        "A fair race: each optimizer at its best rate of the same grid",
        header,
        race_rows(ns["fair"]),
    )
    runs = ns["runs"]
    report.table(
        "Minibatch SGD fitting y = 3x + 1 (lr 0.1, 10 epochs)",
        ["batch size", "updates", "slope", "intercept", "final loss"],
        [
            [size, run.n_steps, run.params[0], run.params[1], run.epoch_losses[-1]]
            for size, run in runs.items()
        ],
    )
    fig = gk.viz.plot_loss_curves(
        {f"batch size {s}": run.epoch_losses for s, run in runs.items()},
        title="Minibatch SGD: loss after each epoch",
    )
    fig.axes[0].set(xlabel="epoch", ylabel="mean squared error")
    report.figure(
        "sgd",
        live.readable(fig),
        "Smaller batches take more, noisier steps per epoch and converge in fewer epochs",
    )


def losses_and_activations() -> None:
    r"""A network learns by the gradient of its loss through its activations. The MSE's
    gradient is $2(\hat y - y)/n$; cross-entropy's is $-y/\hat y$, which grows without
    bound as a prediction becomes confidently wrong. (The tutorial's code averages the
    cross-entropy, $-\operatorname{mean}(y \log \hat y)$, but gives $-y/\hat y$ as its
    gradient, which is that of the sum; gradkit's cross_entropy_loss of one distribution is
    the sum, so value and gradient agree.) The figure shows the binary cross-entropy

    $$L(p) = -y \log p - (1 - y)\log(1 - p), \qquad L'(p) = -\frac{y}{p} + \frac{1 - y}{1 - p},$$

    whose gradient grows without bound on the wrong side for either label. The sigmoid's
    derivative $\sigma(x)(1 - \sigma(x))$ is at most $1/4$, so gradients shrink through
    deep sigmoid stacks; ReLU's is 1 for $x > 0$ and 0 otherwise (gradkit takes
    $\operatorname{relu}'(0) = 0$, as the tutorial does).
    """
    import numpy as np

    import gradkit as gk

    y_true = np.array([1.0, 0.0, 1.0, 0.0])
    y_pred = np.array([0.9, 0.2, 0.6, 0.4])
    for name, loss, closed_form in [
        ("MSE", gk.nn.mse_loss, gk.nn.mse_gradient),
        ("cross-entropy", gk.nn.cross_entropy_loss, gk.nn.cross_entropy_gradient),
    ]:
        by_hand = closed_form(y_true, y_pred)
        auto = gk.grad(loss, argnums=1)(y_true, y_pred)
        print(
            f"{name}: {float(loss(y_true, y_pred)):.4f}, gradient {np.round(by_hand, 4)}, "
            f"max |closed form - gk.grad| = {np.max(np.abs(auto - by_hand)):.1e}"
        )
    activations = gk.viz.plot_activations(["sigmoid", "relu", "tanh", "gelu"])
    losses = gk.viz.plot_losses()


def present_losses(ns: Namespace, report: Report) -> None:
    import numpy as np

    import gradkit as gk

    y_true, y_pred = ns["y_true"], ns["y_pred"]
    rows = []
    for name, loss, closed_form in [
        ("MSE", gk.nn.mse_loss, gk.nn.mse_gradient),
        ("cross-entropy", gk.nn.cross_entropy_loss, gk.nn.cross_entropy_gradient),
    ]:
        by_hand = closed_form(y_true, y_pred)
        auto = gk.grad(loss, argnums=1)(y_true, y_pred)
        rows.append(
            [
                name,
                float(loss(y_true, y_pred)),
                str(np.round(by_hand, 4) + 0.0),
                f"{np.max(np.abs(auto - by_hand)):.1e}",
            ]
        )
    report.table(
        "Losses at ŷ = (0.9, 0.2, 0.6, 0.4), y = (1, 0, 1, 0) (cross-entropy: the "
        "sum $-\\sum y \\log \\hat y$, whose gradient is the tutorial's $-y/\\hat y$; "
        f"the tutorial's code prints the mean, {-np.mean(y_true * np.log(y_pred)):.4f})",
        ["loss", "value", "closed-form gradient", "max |closed form - gk.grad|"],
        rows,
    )
    report.figure(
        "activations",
        live.readable(ns["activations"]),
        "Activations (solid) and their derivatives (dashed)",
    )
    report.figure(
        "losses",
        live.readable(ns["losses"]),
        "MSE and binary cross-entropy against the predicted probability, and their gradients",
    )


SECTIONS = [
    Section("derivative", "The derivative", derivative, present_derivative),
    Section("step-size", "Choosing the step h", step_size, present_step_size),
    Section("symbolic", "Symbolic derivatives, step by step", symbolic, present_symbolic),
    Section("partial", "Partial derivatives", partial_derivatives, present_partial),
    Section("gradient", "Gradient and directional derivative", gradient, present_gradient),
    Section("backprop", "Chain rule and backpropagation", backpropagation, present_backprop),
    Section(
        "optimization", "Gradient descent, SGD and momentum", optimization, present_optimization
    ),
    Section("losses", "Losses and activations", losses_and_activations, present_losses),
]
