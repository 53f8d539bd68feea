"""examples/mnist.py on several processes with DistributedDataParallel.

Each rank trains a replica of the network on its own share of every epoch (DistributedSampler);
DDP averages the gradients, so all replicas take the same steps. Start it with the launcher:

    python -m ember.distributed.run --nproc-per-node 2 examples/mnist_ddp.py
    python -m ember.distributed.run --nproc-per-node 2 examples/mnist_ddp.py --dry-run

(or ``mpiexec -n 2 python examples/mnist_ddp.py``). With GPUs, rank i uses GPU
``LOCAL_RANK % device_count`` and NCCL when CuPy has it.
"""

import argparse
import os
import time

from mnist import DATA_ROOT, Net, test

import ember as torch
import ember.distributed as dist
import ember.nn.functional as F
from ember import optim
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.optim.lr_scheduler import StepLR
from ember.utils.data.distributed import DistributedSampler
from ember.vision import datasets, transforms


def train(args, model, device, loader, optimizer, epoch, rank):
    model.train()
    seen, start = 0, time.perf_counter()
    for batch_idx, (data, target) in enumerate(loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        seen += len(data)
        if rank == 0 and batch_idx % args.log_interval == 0:
            print(
                f"Epoch {epoch} [{batch_idx * len(data)}/{len(loader.sampler)}] "
                f"loss {loss.item():.4f}",
                flush=True,
            )
        if args.dry_run:
            break
    return seen, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description="ember MNIST DDP Example")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        metavar="N",
        help="input batch size per rank (default: 64)",
    )
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N")
    parser.add_argument("--epochs", type=int, default=3, metavar="N")
    parser.add_argument("--lr", type=float, default=1.0, metavar="LR")
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M")
    parser.add_argument("--no-accel", action="store_true", help="train on the CPU")
    parser.add_argument("--dry-run", action="store_true", help="one batch per rank, one test")
    parser.add_argument("--seed", type=int, default=1, metavar="S")
    parser.add_argument("--log-interval", type=int, default=50, metavar="N")
    parser.add_argument("--data", default=DATA_ROOT, metavar="DIR")
    args = parser.parse_args()
    if args.dry_run:
        args.epochs = 1

    use_cuda = not args.no_accel and torch.cuda.is_available()
    dist.init_process_group("nccl" if use_cuda and dist.is_nccl_available() else "mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count())
        device = torch.device("cuda", torch.cuda.current_device())
    else:
        device = torch.device("cpu")
    torch.manual_seed(args.seed)

    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
    )
    if rank == 0:  # one rank downloads; the others wait and read the files
        datasets.MNIST(args.data, train=True, download=True)
    dist.barrier()
    train_set = datasets.MNIST(args.data, train=True, transform=transform)
    test_set = datasets.MNIST(args.data, train=False, transform=transform)
    sampler = DistributedSampler(train_set, seed=args.seed)
    loader = torch.utils.data.DataLoader(
        train_set, batch_size=args.batch_size, sampler=sampler, pin_memory=use_cuda
    )
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=args.test_batch_size)

    model = DDP(Net().to(device))
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        seen, secs = train(args, model, device, loader, optimizer, epoch, rank)
        total = torch.tensor([float(seen)])
        dist.all_reduce(total)
        if rank == 0:
            print(f"Epoch {epoch}: {total.item() / secs:.0f} samples/s on {world} ranks")
            test(model.module, device, test_loader)
        scheduler.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
