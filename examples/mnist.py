"""Train a small convolutional network on MNIST: PyTorch's classic example, run by ember.

The script is written exactly as for PyTorch; only the imports differ. With its defaults it
reaches at least 99.0% test accuracy within 3 epochs.

    python examples/mnist.py                 # train 3 epochs (GPU when there is one)
    python examples/mnist.py --dry-run       # one training batch and a test pass
    python examples/mnist.py --save-model    # also writes mnist_cnn.pt
    python examples/mnist.py --no-augment    # the seed's recipe exactly (about 98.9%)

The data is read from the repository's ``data/MNIST/raw`` (torchvision's layout); ``--data``
points elsewhere.
"""

import argparse
import os
import time

from tqdm import tqdm

import ember as torch
import ember.nn.functional as F
from ember import nn, optim
from ember.optim.lr_scheduler import StepLR
from ember.vision import datasets, transforms

DATA_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "data")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch, writer=None):
    model.train()
    bar = tqdm(train_loader, desc=f"Epoch {epoch}", unit="batch", dynamic_ncols=True)
    seen, start = 0, time.perf_counter()
    for batch_idx, (data, target) in enumerate(bar):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        seen += len(data)
        if batch_idx % args.log_interval == 0:
            rate = seen / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{loss.item():.4f}", img_s=f"{rate:.0f}")
            if writer is not None:
                step = (epoch - 1) * len(train_loader) + batch_idx
                writer.add_scalar("train/loss", loss.item(), step)
        if args.dry_run:
            break
    bar.close()


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()

    n = len(test_loader.dataset)
    test_loss /= n
    accuracy = 100.0 * correct / n
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{n} ({accuracy:.2f}%)\n")
    return accuracy


def main():
    parser = argparse.ArgumentParser(description="MNIST Example")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        metavar="N",
        help="input batch size for training (default: 64)",
    )
    parser.add_argument(
        "--test-batch-size",
        type=int,
        default=1000,
        metavar="N",
        help="input batch size for testing (default: 1000)",
    )
    parser.add_argument(
        "--epochs", type=int, default=3, metavar="N", help="number of epochs to train (default: 3)"
    )
    parser.add_argument(
        "--lr", type=float, default=1.0, metavar="LR", help="learning rate (default: 1.0)"
    )
    parser.add_argument(
        "--gamma",
        type=float,
        default=0.7,
        metavar="M",
        help="learning rate step gamma (default: 0.7)",
    )
    parser.add_argument(
        "--no-accel", action="store_true", help="disables accelerator (train on the CPU)"
    )
    parser.add_argument(
        "--no-augment",
        action="store_true",
        help="train on the images as they are (no random one-pixel shifts)",
    )
    parser.add_argument("--dry-run", action="store_true", help="quickly check a single pass")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    parser.add_argument(
        "--log-interval",
        type=int,
        default=10,
        metavar="N",
        help="how many batches to wait before updating the loss shown",
    )
    parser.add_argument("--save-model", action="store_true", help="for saving the current model")
    parser.add_argument(
        "--logdir", default=None, metavar="DIR", help="write TensorBoard logs to DIR"
    )
    parser.add_argument(
        "--data",
        default=DATA_ROOT,
        metavar="DIR",
        help="folder that holds MNIST/raw (default: the repository's data/)",
    )
    args = parser.parse_args()

    use_cuda = not args.no_accel and torch.cuda.is_available()

    torch.manual_seed(args.seed)

    device = torch.device("cuda" if use_cuda else "cpu")

    train_kwargs = {"batch_size": args.batch_size, "shuffle": True}
    test_kwargs = {"batch_size": args.test_batch_size}
    if use_cuda:
        cuda_kwargs = {"num_workers": 1, "persistent_workers": True, "pin_memory": True}
        train_kwargs.update(cuda_kwargs)
        test_kwargs.update(cuda_kwargs)

    transform = transforms.Compose(
        [
            transforms.ToTensor(),
            transforms.Normalize((0.1307,), (0.3081,)),
        ]
    )
    # Shifting each training image by up to one pixel is what takes the seed's recipe from
    # about 98.9% to 99.0% or more test accuracy in 3 epochs (README: measured figures).
    train_transform = transforms.Compose([transforms.RandomCrop(28, padding=1), transform])
    if args.no_augment:
        train_transform = transform
    dataset1 = datasets.MNIST(args.data, train=True, download=True, transform=train_transform)
    dataset2 = datasets.MNIST(args.data, train=False, transform=transform)
    train_loader = torch.utils.data.DataLoader(dataset1, **train_kwargs)
    test_loader = torch.utils.data.DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    writer = None
    if args.logdir:
        from ember.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(args.logdir)
        images, _ = next(iter(train_loader))
        writer.add_images("samples", images[:16] * 0.3081 + 0.1307, 0)
        writer.add_graph(model, images[:1].to(device))
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch, writer)
        accuracy = test(model, device, test_loader)
        if writer is not None:
            writer.add_scalar("test/accuracy", accuracy, epoch)
            writer.add_scalar("lr", optimizer.param_groups[0]["lr"], epoch)
            for name, p in model.named_parameters():
                writer.add_histogram(name, p, epoch)
        scheduler.step()
    if writer is not None:
        writer.close()
    print(
        f"Final test accuracy {accuracy:.2f}% after {args.epochs} epoch(s) in "
        f"{time.perf_counter() - start:.1f} s on {device}"
    )

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")


if __name__ == "__main__":
    main()
