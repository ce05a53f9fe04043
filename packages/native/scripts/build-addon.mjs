console.log("addon build placeholder until native kernels land");
