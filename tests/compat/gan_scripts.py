"""Small GAN training scripts in the style of public PyTorch examples, written for these tests.

Each is written once, as a function of the module namespace it runs under::

    run(torch, nn, F, optim, data, inputs)

and test_compat.py runs it unchanged with real PyTorch (``torch``, ``torch.nn``, ...) and with
tinygan (``import tinygan as torch``, ``tinygan.nn as nn``, ``tinygan.nn.functional as F``,
``tinygan.optim as optim``, ``tinygan.utils.data as data``). What differs between the two runs
is only what the scripts read from ``inputs``: the same data, the same noise (PyTorch's and
tinygan's generators draw different numbers) and ``inputs.sync(model, name)``, which copies
the PyTorch run's initial weights into the tinygan run's model (a state_dict, strict).

Each sets its own seed (so its initial weights, and the round-off they meet, are the same run
after run) and returns its losses per step and the trained models' state_dicts.
"""

from __future__ import annotations

from typing import Any


def mlp_gan(torch: Any, nn: Any, F: Any, optim: Any, data: Any, inputs: Any) -> dict[str, Any]:
    """The vanilla GAN of most tutorials: MLPs, a Sigmoid D, nn.BCELoss, Adam(0.5, 0.999)."""
    torch.manual_seed(0)
    latent_dim, img_dim = 4, 6

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(
                nn.Linear(latent_dim, 16), nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(16, img_dim), nn.Tanh())

        def forward(self, z):
            return self.model(z)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(
                nn.Linear(img_dim, 16), nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(16, 1), nn.Sigmoid())

        def forward(self, img):
            img_flat = img.view(img.size(0), -1)
            return self.model(img_flat)

    generator = inputs.sync(Generator(), "G")
    discriminator = inputs.sync(Discriminator(), "D")
    adversarial_loss = torch.nn.BCELoss()
    optimizer_G = optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizer_D = optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))

    dataset = data.TensorDataset(torch.from_numpy(inputs.images.reshape(-1, 2, 3)))
    dataloader = data.DataLoader(dataset, batch_size=8, shuffle=False)
    losses = []
    for i, (imgs,) in enumerate(dataloader):
        valid = torch.ones(imgs.size(0), 1)
        fake = torch.zeros(imgs.size(0), 1)
        real_imgs = imgs.view(imgs.size(0), -1)

        optimizer_G.zero_grad()
        z = torch.tensor(inputs.noise[i][:, :latent_dim])
        gen_imgs = generator(z)
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        g_loss.backward()
        optimizer_G.step()

        optimizer_D.zero_grad()
        real_loss = adversarial_loss(discriminator(real_imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs.detach()), fake)
        d_loss = (real_loss + fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()
        losses.append((d_loss.item(), g_loss.item()))
    return {"losses": losses, "G": generator.state_dict(), "D": discriminator.state_dict()}


def dcgan(torch: Any, nn: Any, F: Any, optim: Any, data: Any, inputs: Any) -> dict[str, Any]:
    """The DCGAN tutorial's loop: weights_init through .data, labels by fill_, view(-1)."""
    torch.manual_seed(999)
    ngpu, nz, ngf, ndf, nc = 1, 5, 4, 4, 1
    device = torch.device("cuda:0" if (torch.cuda.is_available() and ngpu > 0) else "cpu")
    torch.backends.cudnn.benchmark = True

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            m.weight.data.normal_(0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            m.weight.data.normal_(1.0, 0.02)
            m.bias.data.fill_(0)

    class Generator(nn.Module):
        def __init__(self, ngpu):
            super().__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),   # 4x4
                nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),   # 8x8
                nn.Tanh())

        def forward(self, input):
            if input.is_cuda and self.ngpu > 1:
                return nn.parallel.data_parallel(self.main, input, range(self.ngpu))
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self, ngpu):
            super().__init__()
            self.ngpu = ngpu
            self.main = nn.Sequential(
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),                # 4x4
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),           # 2x2
                nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False), nn.Sigmoid())

        def forward(self, input):
            return self.main(input)

    netG = Generator(ngpu).to(device)
    if (device.type == "cuda") and (ngpu > 1):
        netG = nn.DataParallel(netG, list(range(ngpu)))
    netG.apply(weights_init)
    netG = inputs.sync(netG, "G")
    netD = Discriminator(ngpu).to(device)
    netD.apply(weights_init)
    netD = inputs.sync(netD, "D")

    criterion = nn.BCELoss()
    real_label, fake_label = 1.0, 0.0
    optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    dataset = data.TensorDataset(torch.from_numpy(inputs.images.reshape(-1, 1, 8, 8)))
    dataloader = data.DataLoader(dataset, batch_size=8, shuffle=False, num_workers=0)

    losses = []
    for i, batch in enumerate(dataloader, 0):
        netD.zero_grad()
        real_cpu = batch[0].to(device)
        b_size = real_cpu.size(0)
        label = torch.full((b_size,), real_label, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        noise = torch.from_numpy(inputs.noise[i][:, :nz].reshape(b_size, nz, 1, 1)).to(device)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        losses.append((errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
    return {"losses": losses, "G": netG.state_dict(), "D": netD.state_dict()}


def conditional_gan(torch: Any, nn: Any, F: Any, optim: Any, data: Any,
                    inputs: Any) -> dict[str, Any]:
    """A conditional GAN as PyTorch-GAN writes one: nn.Embedding, torch.cat, Variable, the
    tensor types (DoubleTensor here: the float64 run), .type(T), MSELoss (least squares)."""
    torch.manual_seed(1)
    n_classes, latent_dim, img_shape = 3, 4, (1, 2, 3)
    img_size = 6
    cuda = True if torch.cuda.is_available() else False
    Tensor = torch.cuda.DoubleTensor if cuda else torch.DoubleTensor
    LongTensor = torch.cuda.LongTensor if cuda else torch.LongTensor
    Variable = torch.autograd.Variable

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.label_emb = nn.Embedding(n_classes, n_classes)

            def block(in_feat, out_feat, normalize=True):
                # no bias before a BatchNorm: the norm removes it, so its gradient is round-off
                layers = [nn.Linear(in_feat, out_feat, bias=not normalize)]
                if normalize:
                    layers.append(nn.BatchNorm1d(out_feat))
                layers.append(nn.LeakyReLU(0.2, inplace=True))
                return layers

            self.model = nn.Sequential(
                *block(latent_dim + n_classes, 8, normalize=False), *block(8, 16),
                nn.Linear(16, img_size), nn.Tanh())

        def forward(self, noise, labels):
            gen_input = torch.cat((self.label_emb(labels), noise), -1)
            img = self.model(gen_input)
            return img.view(img.size(0), *img_shape)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.label_embedding = nn.Embedding(n_classes, n_classes)
            self.model = nn.Sequential(
                nn.Linear(n_classes + img_size, 16), nn.LeakyReLU(0.2, inplace=True),
                nn.Linear(16, 1))

        def forward(self, img, labels):
            d_in = torch.cat((img.view(img.size(0), -1), self.label_embedding(labels)), -1)
            return self.model(d_in)

    adversarial_loss = torch.nn.MSELoss()
    generator = inputs.sync(Generator(), "G")
    discriminator = inputs.sync(Discriminator(), "D")
    optimizer_G = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    dataloader = torch.utils.data.DataLoader(
        data.TensorDataset(torch.Tensor(inputs.images), torch.tensor(inputs.labels)),
        batch_size=8, shuffle=False, drop_last=True)

    losses = []
    for i, (imgs, labels) in enumerate(dataloader):
        batch_size = imgs.shape[0]
        valid = Variable(Tensor(batch_size, 1).fill_(1.0), requires_grad=False)
        fake = Variable(Tensor(batch_size, 1).fill_(0.0), requires_grad=False)
        real_imgs = Variable(imgs.type(Tensor)).view(batch_size, *img_shape)
        labels = Variable(labels.type(LongTensor))

        optimizer_G.zero_grad()
        z = Variable(Tensor(inputs.noise[i][:, :latent_dim]))
        gen_labels = Variable(LongTensor(inputs.labels[::-1][8 * i:8 * i + batch_size].copy()))
        gen_imgs = generator(z, gen_labels)
        validity = discriminator(gen_imgs, gen_labels)
        g_loss = adversarial_loss(validity, valid)
        g_loss.backward()
        optimizer_G.step()

        optimizer_D.zero_grad()
        d_real_loss = adversarial_loss(discriminator(real_imgs, labels), valid)
        d_fake_loss = adversarial_loss(discriminator(gen_imgs.detach(), gen_labels), fake)
        d_loss = (d_real_loss + d_fake_loss) / 2
        d_loss.backward()
        optimizer_D.step()
        losses.append((d_loss.item(), g_loss.item()))
    return {"losses": losses, "G": generator.state_dict(), "D": discriminator.state_dict()}


def wgan_clipped(torch: Any, nn: Any, F: Any, optim: Any, data: Any,
                 inputs: Any) -> dict[str, Any]:
    """The original WGAN's loop: RMSprop, torch.mean of the critic, weight clipping through
    p.data.clamp_, an upsampling generator (nn.Upsample + Conv2d), F.leaky_relu, n_critic = 2."""
    torch.manual_seed(2)
    clip_value, n_critic, nz = 0.05, 2, 3

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1 = nn.Sequential(nn.Linear(nz, 2 * 4 * 4))
            self.conv_blocks = nn.Sequential(
                nn.BatchNorm2d(2), nn.Upsample(scale_factor=2),
                nn.Conv2d(2, 2, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(2, 0.8),
                nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(2, 1, 3, stride=1, padding=1),
                nn.Tanh())

        def forward(self, z):
            out = self.l1(z)
            out = out.view(out.shape[0], 2, 4, 4)
            return self.conv_blocks(out)

    class Critic(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 3, 3, 2, 1)
            self.fc = nn.Linear(3 * 4 * 4, 1)

        def forward(self, img):
            h = F.leaky_relu(self.conv(img), 0.2)
            return self.fc(h.view(h.size(0), -1))

    generator = inputs.sync(Generator(), "G")
    critic = inputs.sync(Critic(), "D")
    optimizer_G = optim.RMSprop(generator.parameters(), lr=5e-3)
    optimizer_D = optim.RMSprop(critic.parameters(), lr=5e-3)
    dataset = data.TensorDataset(torch.from_numpy(inputs.images.reshape(-1, 1, 8, 8)))
    losses = []
    for i, (imgs,) in enumerate(data.DataLoader(dataset, batch_size=8)):
        optimizer_D.zero_grad()
        z = torch.from_numpy(inputs.noise[i][:, :nz])
        fake_imgs = generator(z).detach()
        loss_D = -torch.mean(critic(imgs)) + torch.mean(critic(fake_imgs))
        loss_D.backward()
        optimizer_D.step()
        for p in critic.parameters():
            p.data.clamp_(-clip_value, clip_value)
        if i % n_critic == 0:
            optimizer_G.zero_grad()
            gen_imgs = generator(z)
            loss_G = -torch.mean(critic(gen_imgs))
            loss_G.backward()
            optimizer_G.step()
        losses.append((loss_D.item(), loss_G.item()))
    return {"losses": losses, "G": generator.state_dict(), "D": critic.state_dict()}


def wgan_gp(torch: Any, nn: Any, F: Any, optim: Any, data: Any, inputs: Any) -> dict[str, Any]:
    """WGAN-GP as PyTorch-GAN writes it: the gradient penalty through torch.autograd.grad with
    create_graph=True on interpolates made from ``.data``, ``gradients.norm(2, dim=1)``,
    Adam(0, 0.9), n_critic = 2."""
    torch.manual_seed(3)
    lambda_gp, n_critic, latent_dim, img_dim = 10, 2, 4, 6
    Tensor = torch.DoubleTensor
    autograd = torch.autograd

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(nn.Linear(latent_dim, 16), nn.LeakyReLU(0.2, inplace=True),
                                       nn.Linear(16, img_dim), nn.Tanh())

        def forward(self, z):
            return self.model(z)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = nn.Sequential(nn.Linear(img_dim, 16), nn.LeakyReLU(0.2, inplace=True),
                                       nn.Linear(16, 1))

        def forward(self, img):
            return self.model(img.view(img.shape[0], -1))

    generator = inputs.sync(Generator(), "G")
    discriminator = inputs.sync(Discriminator(), "D")
    optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.0, 0.9))
    optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.0, 0.9))

    def compute_gradient_penalty(D, real_samples, fake_samples, alpha):
        interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
        d_interpolates = D(interpolates)
        fake = autograd.Variable(Tensor(real_samples.shape[0], 1).fill_(1.0), requires_grad=False)
        gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                                  create_graph=True, retain_graph=True, only_inputs=True)[0]
        gradients = gradients.view(gradients.size(0), -1)
        return ((gradients.norm(2, dim=1) - 1) ** 2).mean()

    dataloader = data.DataLoader(data.TensorDataset(torch.from_numpy(inputs.images)),
                                 batch_size=8)
    losses = []
    for i, (imgs,) in enumerate(dataloader):
        real_imgs = autograd.Variable(imgs.type(Tensor))
        optimizer_D.zero_grad()
        z = autograd.Variable(Tensor(inputs.noise[i][:, :latent_dim]))
        fake_imgs = generator(z)
        real_validity = discriminator(real_imgs)
        fake_validity = discriminator(fake_imgs)
        alpha = Tensor(inputs.noise[i][:, -1:] * 0.2 + 0.5)
        gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data,
                                                    fake_imgs.data, alpha)
        d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) \
            + lambda_gp * gradient_penalty
        d_loss.backward()
        optimizer_D.step()
        optimizer_G.zero_grad()
        if i % n_critic == 0:
            fake_imgs = generator(z)
            g_loss = -torch.mean(discriminator(fake_imgs))
            g_loss.backward()
            optimizer_G.step()
        losses.append((d_loss.item(), g_loss.item(), gradient_penalty.item()))
    return {"losses": losses, "G": generator.state_dict(), "D": discriminator.state_dict()}


SCRIPTS = {"mlp_gan": mlp_gan, "dcgan": dcgan, "conditional_gan": conditional_gan,
           "wgan_clipped": wgan_clipped, "wgan_gp": wgan_gp}
