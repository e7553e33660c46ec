namespace ScaleLab.Engine.Kernels;

/// <summary>
/// The one rule for every backward kernel in this folder, reference (<c>BackwardReference</c>) and fast (<c>Backward</c>)
/// alike: <b>a backward kernel adds into every gradient it writes</b> — the input gradient (<c>dinp</c>, <c>dqkv</c>,
/// <c>dlogits</c>, <c>dinp1</c>/<c>dinp2</c>) as well as the parameter gradients (<c>dweight</c>, <c>dbias</c>, <c>dwte</c>,
/// <c>dwpe</c>); it never stores over them. Zeroing is the caller's explicit step (llm.c's convention). That is what a
/// residual stream or a tensor read by two consumers needs, and it makes the fast kernels interchangeable with the
/// references. Into a buffer of zeros the fast kernels produce the bits they would produce by storing (0 + x = x), so
/// the model's results do not depend on the rule. <c>BackwardContractTests.Backward_PrefilledGradients_AddsOntoThem</c>
/// checks it for every kernel.
/// </summary>
public static class BackwardContract
{
}
