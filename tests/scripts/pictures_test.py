#!/usr/bin/env python3
"""Tests of the data scripts/pictures.py draws from, and of scripts/network.py's forward pass.

  python3 tests/scripts/pictures_test.py [--stage BINARY] [--data DIR]

Without --stage (a forward stage's binary, e.g. build/stages/02_im2col/stage02) and MNIST in
--data, the check against the C++ forward pass is skipped; ctest passes both.
"""
import argparse
import pathlib
import subprocess
import sys
import tempfile
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import network  # noqa: E402
import pictures  # noqa: E402

WEIGHTS = REPO / "weights" / "mnist_cnn.safetensors"
OPTIONS = argparse.Namespace(stage=None, data=REPO / "data" / "mnist")


class TrainingCurve(unittest.TestCase):
    def test_every_epoch_of_a_stage_record_in_order(self):
        # What stages 04 and 05 write with --json: a count in "epochs", then one pair per epoch.
        record = {"epochs": 3, "epoch1_loss": 0.30, "epoch1_accuracy": 0.97,
                  "epoch2_loss": 0.10, "epoch2_accuracy": 0.98,
                  "epoch3_loss": 0.05, "epoch3_accuracy": 0.99}
        self.assertEqual(pictures.training_epochs(record),
                         [{"loss": 0.30, "test_accuracy": 0.97}, {"loss": 0.10, "test_accuracy": 0.98},
                          {"loss": 0.05, "test_accuracy": 0.99}])

    def test_pytorch_record_lists_its_epochs(self):
        listed = [{"loss": 0.2, "test_accuracy": 0.9}, {"loss": 0.1, "test_accuracy": 0.95}]
        self.assertEqual(pictures.training_epochs({"epochs": listed}), listed)

    def test_curve_has_one_point_per_epoch_per_panel(self):
        record = {"epochs": 5}
        for i in range(1, 6):
            record.update({f"epoch{i}_loss": 1.0 / i, f"epoch{i}_accuracy": 0.9 + i / 100})
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "curves.svg"
            pictures.curves(pictures.training_epochs(record), path)
            text = path.read_text()
        self.assertEqual(text.count("<circle"), 10)  # 5 epochs x (loss, accuracy)
        self.assertIn("epoch 5", text)


class PythonForwardPass(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.weights = network.load_safetensors(WEIGHTS)

    def test_shapes_of_every_layer(self):
        layers = network.forward(self.weights, [0] * 784)
        shape = {name: (len(v), len(v[0]), len(v[0][0])) for name, v in layers.items() if name != "logits"}
        self.assertEqual(shape, {"image": (1, 28, 28), "conv1": (32, 26, 26), "pool1": (32, 13, 13),
                                 "conv2": (64, 11, 11), "pool2": (64, 5, 5)})
        self.assertEqual(len(layers["logits"]), 10)

    def test_blank_image_gives_relu_of_the_bias_in_conv1(self):
        # An all-zero image: every conv1 output is its bias, and ReLU keeps the positive ones.
        conv1 = network.forward(self.weights, [0] * 784)["conv1"]
        bias = self.weights["conv1.bias"][1]
        for o in range(32):
            self.assertEqual({v for row in conv1[o] for v in row}, {max(bias[o], 0.0)})

    def test_pictures_of_filters_and_feature_maps(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp)
            pictures.filters(self.weights, out / "filters.svg")
            self.assertEqual((out / "filters.svg").read_text().count('stroke="#bbb"'), 32)
            layers = network.forward(self.weights, [128] * 784)
            pictures.feature_maps(layers, 3, out / "feature_maps.svg")
            # one frame per channel: the image, 32 + 32 + 64 + 64
            self.assertEqual((out / "feature_maps.svg").read_text().count('stroke="#bbb"'), 193)

    def test_logits_match_the_cpp_forward_pass(self):
        if not OPTIONS.stage:
            self.skipTest("no --stage binary given")
        data = pathlib.Path(OPTIONS.data)
        if not (data / "t10k-images-idx3-ubyte").exists() and \
                not (data / "t10k-images-idx3-ubyte.gz").exists():
            self.skipTest(f"no MNIST in {data}")
        count = 3
        with tempfile.TemporaryDirectory() as tmp:
            logits_path = pathlib.Path(tmp) / "logits.idx"
            subprocess.run([OPTIONS.stage, "--weights", str(WEIGHTS), "--data", str(data),
                            "--limit", str(count), "--logits", str(logits_path)],
                           check=True, stdout=subprocess.DEVNULL)
            (n, k), cpp = pictures.read_idx(logits_path)
        self.assertEqual((n, k), (count, 10))
        _, images = pictures.read_idx(data / "t10k-images-idx3-ubyte")
        for i in range(count):
            ours = network.forward(self.weights, images[i * 784:(i + 1) * 784])["logits"]
            theirs = cpp[i * 10:(i + 1) * 10]
            # Both sum the same float products in different orders (Python in double): the
            # agreement tests' bound, 1e-5 of the largest logit, holds with room to spare.
            scale = max(abs(v) for v in theirs)
            self.assertLess(max(abs(a - b) for a, b in zip(ours, theirs)) / scale, 1e-5, f"image {i}")
            self.assertEqual(ours.index(max(ours)), theirs.index(max(theirs)), f"image {i}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage")
    parser.add_argument("--data", default=str(OPTIONS.data))
    _, rest = parser.parse_known_args(namespace=OPTIONS)
    unittest.main(argv=[sys.argv[0]] + rest)
