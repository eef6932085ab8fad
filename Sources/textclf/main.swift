import TextClf
print("textclf")
