# Writes a small channel-shuffle network (ShuffleNet's shuffle: view to
# groups, transpose, view back, with the sizes read from x.size(); the
# batch is dynamic, so the export computes the Reshape targets from Shape,
# Gather, Div, Concat) with torch.onnx.export, and prints how many Conv
# outputs python onnx's own shape inference types in full (every dim a
# size or a name).
import json
import sys

import onnx
import torch

C, HW, BLOCKS, GROUPS = 24, 28, 3, 2


def shuffle(x, g):
    b, c, h, w = x.size()
    x = x.view(b, g, c // g, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pw1 = torch.nn.Conv2d(C, C, 1)
        self.dw = torch.nn.Conv2d(C, C, 3, padding=1, groups=C)
        self.pw2 = torch.nn.Conv2d(C, C, 1)

    def forward(self, x):
        return self.pw2(self.dw(shuffle(torch.relu(self.pw1(x)), GROUPS)))


torch.manual_seed(0)
# The last ReLU keeps the convolutions inside: torch names the graph
# output's dims itself (symbols), which the file's stored type keeps.
net = torch.nn.Sequential(*[Block() for _ in range(BLOCKS)], torch.nn.ReLU()).eval()
torch.onnx.export(net, torch.zeros(1, C, HW, HW), sys.argv[1], opset_version=13,
                  input_names=["input"], output_names=["output"],
                  dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
m = onnx.shape_inference.infer_shapes(onnx.load(sys.argv[1]))
typed = {v.name for v in list(m.graph.value_info) + list(m.graph.output)
         if v.type.tensor_type.HasField("shape")
         and all(d.HasField("dim_value") or d.HasField("dim_param") for d in v.type.tensor_type.shape.dim)}
convs = [n for n in m.graph.node if n.op_type == "Conv"]
print(json.dumps({"convs": len(convs), "onnx_known": sum(n.output[0] in typed for n in convs),
                  "channels": C, "size": HW, "blocks": BLOCKS}))
