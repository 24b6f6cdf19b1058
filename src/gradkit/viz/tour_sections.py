"""The sections of the tour, in the tutorial's order.

Each section is a function of a :class:`~gradkit.viz.tour.Report`: its docstring is the
section's introduction on the page, and its body -- shown on the page as it is -- is the
gradkit code that computes the section's numbers and figures. Keep the bodies short and
written for a reader: they are the tour's worked examples. (Their docstrings are page
text, so they carry no Args/example sections; each returns None, adds to the report, and
is run by ``tests/test_tour.py``.)

>>> [section.key for section in SECTIONS][:3]
['derivative', 'step-size', 'symbolic']
"""

from __future__ import annotations

from gradkit.viz.tour import Report, Section


def derivative(report: Report) -> None:
    """The derivative f'(x) = lim (f(x + h) - f(x)) / h as h -> 0 is the slope of the
    tangent line: the instantaneous rate of change of f. The tutorial estimates it with a
    forward difference and h = 1e-7 and compares with the analytical 2x for f(x) = x².
    gradkit adds an accurate numerical derivative (central differences with Richardson
    extrapolation) and automatic differentiation, which is exact to rounding.
    """
    import gradkit as gk

    def f(x):
        return x**2

    rows = []
    for x in [0.0, 1.0, 2.0]:
        forward = (f(x + 1e-7) - f(x)) / 1e-7  # the tutorial's estimate
        numerical = gk.numerical.derivative(f, x)
        automatic = gk.grad(f)(x)
        rows.append([x, forward, float(numerical), float(automatic), 2 * x])
    report.table("f(x) = x²: numerical against analytical derivatives",
                 ["x", "forward, h = 1e-7", "gk.numerical.derivative", "gk.grad",
                  "analytical 2x"], rows)
    report.figure("function", gk.viz.plot_derivative(f, (-2, 2), at=1.0, label="x²"),
                  "f(x) = x², its derivative and the tangent line at x = 1")
    report.figure("numerical",
                  gk.viz.plot_numerical_vs_analytical(f, (-2, 2), derivative=lambda x: 2 * x,
                                                      method="forward", step=1e-7, label="x²"),
                  "The tutorial's forward difference (h = 1e-7) against the exact 2x")


def step_size(report: Report) -> None:
    """Why h = 1e-7? A finite difference has two errors: truncation, which shrinks with h
    (like h for the forward difference, h² for the central one), and rounding, which
    grows like machine epsilon / h. Their sum is a V on a log-log plot, and h = 1e-7 sits
    near the bottom of the forward difference's V: about 8 correct digits, the most a
    forward difference can give. A central difference does better, and gradkit's default
    (Richardson extrapolation) reaches machine precision.
    """
    import numpy as np

    import gradkit as gk

    x, exact = 1.0, np.cos(1.0)
    rows = []
    for h in [1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11]:
        forward = gk.numerical.derivative(np.sin, x, method="forward", step=h)
        central = gk.numerical.derivative(np.sin, x, method="central", step=h)
        rows.append([f"{h:.0e}", f"{abs(forward - exact):.1e}", f"{abs(central - exact):.1e}"])
    best = gk.numerical.derivative(np.sin, x)
    rows.append(["gradkit default", "", f"{abs(best - exact):.1e}"])
    report.table("Error of d/dx sin(x) at x = 1 against the step h", ["step h",
                 "forward error", "central error"], rows)
    curve = gk.numerical.step_error(np.sin, np.cos, x)
    report.table("The bottom of each V (gk.numerical.step_error)",
                 ["method", "best step", "error at the best step"],
                 [[method, f"{curve.best_step[method]:.1e}", f"{curve.best_error[method]:.1e}"]
                  for method in curve.best_step])
    report.text(f"The tutorial's h = 1e-7 forward difference is one point on the forward "
                f"V: error {curve.tutorial_error:.1e}. The complex step, "
                f"Im f(x + ih) / h, has no subtraction and so no rounding error.")
    report.figure("step-error", gk.viz.plot_step_error(np.sin, x, derivative=np.cos),
                  "The V-shaped error curve: truncation error falls, rounding error rises")


def symbolic(report: Report) -> None:
    """The tutorial lists the rules -- power, exponential, logarithm, trigonometric,
    product, quotient, chain -- and then calls sympy.diff, which gives the answer but not
    the reasoning. gk.symbolic.derive names the rule used at every step, as a student
    would write it out. Text is read by a safe parser: it is never evaluated as Python.
    """
    import gradkit as gk

    rows = []
    for text in ["x**3", "exp(x)", "sin(x)", "log(x)", "x**2 * sin(x)", "sigmoid(x)"]:
        d = gk.symbolic.derive(text, "x")
        rows.append([f"d/dx {text}", str(d.result), ", ".join(d.rules)])
    report.table("The tutorial's derivatives (and the sigmoid)",
                 ["expression", "derivative", "rules used"], rows)
    product = gk.symbolic.derive("x**2 * sin(x)", "x")
    report.pre("d/dx [x² sin(x)], step by step", product.to_text())
    chain = gk.symbolic.derive("exp(-x**2 / 2)", "x")
    report.pre("d/dx exp(-x²/2): the chain rule", chain.to_text())


def partial_derivatives(report: Report) -> None:
    """For f(x, y) the partial derivative ∂f/∂x measures how f changes when only x moves,
    y held fixed. The tutorial's example is f(x, y) = x² + y² at (1, 2), where
    ∂f/∂x = 2x = 2 and ∂f/∂y = 2y = 4. A partial derivative is the slope of a slice of the
    surface through the point.
    """
    import numpy as np

    import gradkit as gk

    def f(p):
        return p[0] ** 2 + p[1] ** 2

    point = np.array([1.0, 2.0])
    numerical = gk.numerical.gradient(f, point)
    automatic = gk.grad(f)(point)
    report.table("f(x, y) = x² + y² at (1, 2)",
                 ["partial", "numerical", "gk.grad", "analytical"],
                 [["∂f/∂x", numerical[0], automatic[0], 2 * point[0]],
                  ["∂f/∂y", numerical[1], automatic[1], 2 * point[1]]])
    report.figure("surface", gk.viz.plot_partial_derivatives(f, point),
                  "The surface, its contours with gradient arrows, and the slice y = 2")


def gradient(report: Report) -> None:
    """The gradient ∇f collects the partial derivatives; it points uphill, the direction
    of steepest ascent. The directional derivative D_u f = ∇f · u (u a unit vector) is the
    slope in direction u: largest along the gradient, zero across it. gradkit computes it
    as a Jacobian-vector product, without forming the gradient.
    """
    import numpy as np

    import gradkit as gk

    def f(p):
        return p[0] ** 2 + p[1] ** 2

    point = np.array([1.0, 1.0])
    grad = gk.grad(f)(point)
    rows = []
    for direction in [(1, 0), (0, 1), (1, 1), (1, -1)]:
        u = np.array(direction, dtype=float)
        exact = 2 * point @ (u / np.linalg.norm(u))
        rows.append([str(direction), float(gk.directional_derivative(f, point, u)),
                     float(gk.numerical.directional_derivative(f, point, u)), exact])
    report.text(f"The gradient at (1, 1) is {grad.tolist()} (analytical: [2, 2]).")
    report.table("Directional derivatives of x² + y² at (1, 1)",
                 ["direction u", "gk.directional_derivative", "numerical", "analytical"],
                 rows)
    report.figure("field", gk.viz.plot_gradient_field(f, point),
                  "The gradient field of x² + y² with the point (1, 1)")
    report.figure("directions", gk.viz.plot_directional_derivatives(f, point),
                  "Directional derivatives at (1, 1), each arrow labelled with its value")


def backpropagation(report: Report) -> None:
    """The chain rule, d/dx f(g(x)) = f'(g(x)) g'(x), applied from the output back to
    every input, is backpropagation. The computational graph shows each node's forward
    value and the gradient of the output with respect to it. Then the tutorial's network
    (2 inputs, 4 sigmoid hidden units, 1 sigmoid output) trains on its 100 points with
    its hand-written backward pass -- whose dz2 = a2 - y is the gradient of binary
    cross-entropy, not of the MSE it prints -- and gk.grad of that cross-entropy gives
    the same gradients. Finally the same network, built from layers, is trained by
    gk.nn.fit with automatic gradients.
    """
    import numpy as np

    import gradkit as gk
    from gradkit.autodiff.graph import trace_graph

    def neuron(w, x, b):
        return gk.nn.sigmoid(w * x + b)

    graph = trace_graph(neuron, 0.5, 2.0, -1.0)
    report.figure("graph", gk.viz.plot_graph(graph),
                  "sigmoid(w·x + b) at w = 0.5, x = 2, b = -1: values and gradients")

    X, y = gk.nn.datasets.tutorial_data()
    net = gk.nn.SimpleNeuralNetwork(input_size=2, hidden_size=4, output_size=1, rng=0)
    hand = net.gradients(X, y)
    auto = gk.grad(net.objective)(net.params, X, y)
    report.table("Hand-written backpropagation against gk.grad (at the initial weights)",
                 ["parameter", "shape", "max |hand - autodiff|"],
                 [[name, str(hand[name].shape), f"{np.max(np.abs(hand[name] - auto[name])):.1e}"]
                  for name in ["W1", "b1", "W2", "b2"]])
    losses = net.train(X, y, epochs=1000, learning_rate=0.1)
    report.text(f"After 1000 epochs (learning rate 0.1): MSE {losses[-1]:.4f}, training "
                f"accuracy {net.accuracy(X, y):.0%}.")
    predictions = net.forward(np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]))
    report.table("The tutorial's test inputs", ["input", "prediction"],
                 [["(1, 1)", predictions[0, 0]], ["(-1, -1)", predictions[1, 0]],
                  ["(1, -1)", predictions[2, 0]]])
    report.figure("training", gk.viz.plot_training_history({"loss": losses}),
                  "The tutorial network's training curve (MSE per epoch)")

    model = gk.nn.tutorial_model(rng=0)  # the same network from layers, gradients by gk.grad
    history = gk.nn.fit(model, X, y, loss="binary_cross_entropy", optimizer=gk.optim.sgd(0.5),
                        epochs=300, batch_size=None, verbose=False)
    report.text(f"Built from layers and trained by gk.nn.fit (300 full-batch steps, lr 0.5): "
                f"cross-entropy {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.0%}.")
    report.figure("fit", gk.viz.plot_training_history(history),
                  "gk.nn.fit on the tutorial's data: loss and accuracy per epoch")


def optimization(report: Report) -> None:
    """Gradient descent steps against the gradient: θ ← θ - α ∇L(θ). Momentum keeps a
    running average of the gradients, v ← βv + (1 - β)∇L, and steps along it; SGD uses
    the gradient of a random minibatch. The tutorial races gradient descent and momentum
    from (-1.5, -1.5) on the Rosenbrock function with α = 1e-4 for 1000 steps; gradkit
    reruns that race exactly and adds Nesterov, RMSprop and Adam, then shows minibatch SGD
    with three batch sizes.
    """
    import numpy as np

    import gradkit as gk

    race = gk.optim.race(gk.functions.rosenbrock, x0=(-1.5, -1.5), steps=1000)
    rows = [[r["optimizer"], r["settings"], r["final_value"], r["distance"],
             r["steps_to_tol"] or "not reached"] for r in race.rows()]
    report.table("The optimizer race on Rosenbrock, 1000 steps from (-1.5, -1.5)",
                 ["optimizer", "settings", "final f", "distance to (1, 1)", "steps to tol"],
                 rows)
    report.figure("race", gk.viz.plot_trajectories(gk.functions.rosenbrock, race.results),
                  "Trajectories on the Rosenbrock valley and f over the iterations (log)")
    report.text("That race is not fair: gradient descent and the tutorial's momentum keep the "
                "tutorial's α = 1e-4, while Nesterov, RMSprop and Adam run at rates tuned for "
                "this problem. Below, every optimizer gets the best of the same ten rates "
                "(1e-5 to 0.3 in half-decades, the lowest final f after 1000 steps; "
                "gk.optim.tuned_racers re-runs the search). The tutorial's momentum, "
                "v ← 0.9v + 0.1∇L, is PyTorch's v ← 0.9v + ∇L with the rate divided by 10: "
                "tuned, the two tie exactly, so its deficit above was the step size. "
                "Nesterov evaluates the momentum step from where the velocity is about to "
                "take the point (in PyTorch's form it steps along ∇L + 0.9v instead of v), "
                "which damps overshoot; on this valley its best rate is small and it trails "
                "plain momentum.")
    fair = gk.optim.race(gk.functions.rosenbrock, x0=(-1.5, -1.5), steps=1000,
                         racers=gk.optim.fair_racers())
    report.table("A fair race: each optimizer at its best rate of the same grid",
                 ["optimizer", "settings", "final f", "distance to (1, 1)", "steps to tol"],
                 [[r["optimizer"], r["settings"], r["final_value"], r["distance"],
                   r["steps_to_tol"] or "not reached"] for r in fair.rows()])

    # SGD: the same rule on the gradient of a random minibatch, fitting y = 3x + 1
    rng = np.random.default_rng(0)
    xs = rng.uniform(-1, 1, 256)
    ys = 3 * xs + 1 + 0.1 * rng.standard_normal(256)

    def line_loss(w, x, y):
        return np.mean((w[0] * x + w[1] - y) ** 2)

    runs = {f"batch size {size}": gk.optim.minibatch_sgd(line_loss, np.zeros(2), (xs, ys), 0.1,
                                                         batch_size=size, epochs=10, seed=0)
            for size in [256, 32, 4]}
    report.table("Minibatch SGD fitting y = 3x + 1 (lr 0.1, 10 epochs)",
                 ["batch size", "updates", "slope", "intercept", "final loss"],
                 [[name.split()[-1], run.n_steps, run.params[0], run.params[1],
                   run.epoch_losses[-1]] for name, run in runs.items()])
    fig = gk.viz.plot_loss_curves({name: run.epoch_losses for name, run in runs.items()},
                                  title="Minibatch SGD: loss after each epoch")
    fig.axes[0].set(xlabel="epoch", ylabel="mean squared error")
    report.figure("sgd", fig, "Smaller batches take more, noisier steps per epoch and "
                  "converge in fewer epochs")


def losses_and_activations(report: Report) -> None:
    """A network learns by the gradient of its loss through its activations. The MSE's
    gradient is 2(ŷ - y)/n; cross-entropy's is -y/ŷ, which grows without bound as a
    prediction becomes confidently wrong. (The tutorial's code averages the cross-entropy,
    -mean(y log ŷ), but gives -y/ŷ as its gradient, which is that of the sum; gradkit's
    cross_entropy_loss of one distribution is the sum, so value and gradient agree. The
    figure shows the binary cross-entropy, -y log p - (1 - y) log(1 - p), whose gradient
    -y/p + (1 - y)/(1 - p) grows without bound on the wrong side for either label.) The
    sigmoid's derivative σ(1 - σ) is at most
    1/4, so gradients shrink through deep sigmoid stacks; ReLU's is 1 for x > 0 and 0
    otherwise (gradkit takes relu'(0) = 0, as the tutorial does).
    """
    import numpy as np

    import gradkit as gk

    y_true = np.array([1.0, 0.0, 1.0, 0.0])
    y_pred = np.array([0.9, 0.2, 0.6, 0.4])
    rows = []
    for name, loss, closed_form in [
        ("MSE", gk.nn.mse_loss, gk.nn.mse_gradient),
        ("cross-entropy", gk.nn.cross_entropy_loss, gk.nn.cross_entropy_gradient),
    ]:
        by_hand = closed_form(y_true, y_pred)
        auto = gk.grad(loss, argnums=1)(y_true, y_pred)
        rows.append([name, float(loss(y_true, y_pred)), str(np.round(by_hand, 4) + 0.0),
                     f"{np.max(np.abs(auto - by_hand)):.1e}"])
    report.table("Losses at ŷ = (0.9, 0.2, 0.6, 0.4), y = (1, 0, 1, 0) (cross-entropy: the "
                 "sum -Σ y log ŷ, whose gradient is the tutorial's -y/ŷ; the tutorial's code "
                 f"prints the mean, {-np.mean(y_true * np.log(y_pred)):.4f})",
                 ["loss", "value", "closed-form gradient", "max |closed form - gk.grad|"], rows)
    report.figure("activations", gk.viz.plot_activations(["sigmoid", "relu", "tanh", "gelu"]),
                  "Activations (solid) and their derivatives (dashed)")
    report.figure("losses", gk.viz.plot_losses(),
                  "MSE and binary cross-entropy against the predicted probability, and their "
                  "gradients")


SECTIONS = [
    Section("derivative", "The derivative", derivative),
    Section("step-size", "Choosing the step h", step_size),
    Section("symbolic", "Symbolic derivatives, step by step", symbolic),
    Section("partial", "Partial derivatives", partial_derivatives),
    Section("gradient", "Gradient and directional derivative", gradient),
    Section("backprop", "Chain rule and backpropagation", backpropagation),
    Section("optimization", "Gradient descent, SGD and momentum", optimization),
    Section("losses", "Losses and activations", losses_and_activations),
]
